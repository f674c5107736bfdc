package seizure

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/linear"
)

// TreeNode is one node of a regression tree, stored in a flat slice with
// the root at index 0. A leaf has Feature −1 and contributes Value to the
// log-odds; an inner node sends a row to Left when z[Feature] ≤ Threshold,
// else to Right (z the z-scored features).
type TreeNode struct {
	Feature   int     `json:"feature"`
	Threshold float64 `json:"threshold,omitempty"`
	Left      int     `json:"left,omitempty"`
	Right     int     `json:"right,omitempty"`
	Value     float64 `json:"value,omitempty"`
}

// Tree is a regression tree.
type Tree []TreeNode

// eval returns the leaf value that the features x, z-scored by mean and
// std as they are read, reach.
func (t Tree) eval(x, mean, std []float64) float64 {
	i := 0
	for t[i].Feature >= 0 {
		j := t[i].Feature
		if (x[j]-mean[j])/std[j] <= t[i].Threshold {
			i = t[i].Left
		} else {
			i = t[i].Right
		}
	}
	return t[i].Value
}

// BoostConfig configures gradient-boosted trees (TrainConfig.Boost): Rounds
// trees of depth at most Depth fitted by Newton steps on the (class-)
// weighted log loss (as XGBoost with lambda = L2 on leaf values, no
// column or row sampling), each scaled by Rate. Zero fields take the
// defaults, which were fixed before any evaluation.
type BoostConfig struct {
	// Rounds is the number of trees. Default: 200.
	Rounds int
	// Depth is the largest tree depth. Default: 3.
	Depth int
	// Rate is the learning rate (shrinkage). Default: 0.1.
	Rate float64
	// MinLeaf is the smallest number of rows in a leaf. Default: 5.
	MinLeaf int
	// L2 is the penalty on leaf values, in units of the Hessian of one
	// (normalised-weight) row. Default: 1.
	L2 float64
}

func (c BoostConfig) withDefaults() BoostConfig {
	if c.Rounds == 0 {
		c.Rounds = 200
	}
	if c.Depth == 0 {
		c.Depth = 3
	}
	if c.Rate == 0 {
		c.Rate = 0.1
	}
	if c.MinLeaf == 0 {
		c.MinLeaf = 5
	}
	if c.L2 == 0 {
		c.L2 = 1
	}
	return c
}

func (c BoostConfig) check() error {
	switch {
	case c.Rounds < 1:
		return errors.New("seizure: BoostConfig.Rounds must be at least 1")
	case c.Depth < 1:
		return errors.New("seizure: BoostConfig.Depth must be at least 1")
	case !(c.Rate > 0 && c.Rate <= 1):
		return errors.New("seizure: BoostConfig.Rate must be in (0, 1]")
	case c.MinLeaf < 1:
		return errors.New("seizure: BoostConfig.MinLeaf must be at least 1")
	case !(c.L2 >= 0):
		return errors.New("seizure: BoostConfig.L2 must not be negative")
	}
	return nil
}

// boost fits trees on the z-scored rows Z with labels y and row weights sw
// (summing to 1); it returns the trees and the initial log-odds.
func boost(Z [][]float64, y []bool, sw []float64, c BoostConfig) ([]Tree, float64) {
	n := len(Z)
	base := baseLogOdds(y, sw)
	f := make([]float64, n)
	for i := range f {
		f[i] = base
	}
	b := &booster{
		Z: Z, y: y, sw: sw, c: c,
		order: featureOrders(Z),
		// l2 is relative to a row of average weight.
		l2:   c.L2 / float64(n),
		g:    make([]float64, n),
		h:    make([]float64, n),
		node: make([]int, n),
	}
	trees := make([]Tree, 0, c.Rounds)
	for range c.Rounds {
		b.gradients(f)
		tree := b.grow()
		b.leafValues(tree)
		for i := range n {
			f[i] += tree[b.node[i]].Value
		}
		trees = append(trees, tree)
	}
	return trees, base
}

// baseLogOdds returns the weighted log-odds of the classes, where boosting
// starts.
func baseLogOdds(y []bool, sw []float64) float64 {
	var wp float64
	for i := range y {
		if y[i] {
			wp += sw[i]
		}
	}
	return math.Log(wp / (1 - wp))
}

// featureOrders returns, per feature, the rows sorted (stably) by that
// feature: sorted once, tree nodes then filter this order.
func featureOrders(Z [][]float64) [][]int {
	n, d := len(Z), len(Z[0])
	order := make([][]int, d)
	for j := range d {
		o := make([]int, n)
		for i := range o {
			o[i] = i
		}
		slices.SortStableFunc(o, func(a, b int) int {
			switch {
			case Z[a][j] < Z[b][j]:
				return -1
			case Z[a][j] > Z[b][j]:
				return 1
			}
			return 0
		})
		order[j] = o
	}
	return order
}

// booster holds the state of one boost run shared by its steps.
type booster struct {
	Z     [][]float64
	y     []bool
	sw    []float64
	c     BoostConfig
	order [][]int   // rows sorted by each feature (featureOrders)
	l2    float64   // leaf penalty per row of average weight
	g, h  []float64 // gradient and Hessian of each row's loss this round
	node  []int     // node of each row in the tree being grown
}

// minHessian is the smallest Hessian sum a child of a split may have.
const minHessian = 0.0

// split is the best split found for a frontier node; feat −1 is none.
type split struct {
	gain, thr float64
	feat      int
}

// gradients sets g and h to the weighted log-loss gradient and Hessian of
// each row at the current log-odds f.
func (b *booster) gradients(f []float64) {
	for i := range f {
		p := linear.Sigmoid(f[i])
		t := 0.0
		if b.y[i] {
			t = 1
		}
		b.g[i], b.h[i] = b.sw[i]*(p-t), b.sw[i]*max(p*(1-p), 1e-16)
	}
}

// grow grows one tree level by level to depth c.Depth, leaving each row's
// leaf in node; leaf values are left zero.
func (b *booster) grow() Tree {
	clear(b.node)
	tree := Tree{{Feature: -1}}
	count := []int{len(b.Z)}
	frontier := []int{0}
	for depth := 0; depth < b.c.Depth && len(frontier) > 0; depth++ {
		pos := map[int]int{}
		for k, nd := range frontier {
			pos[nd] = k
		}
		bs := b.bestSplits(frontier, pos, count)
		tree, count, frontier = b.applySplits(tree, count, frontier, pos, bs)
	}
	return tree
}

// bestSplits returns, per frontier node (pos maps a node to its index in
// frontier; count holds each node's rows), the best split over all
// features, found in one pass over each feature's order.
func (b *booster) bestSplits(frontier []int, pos map[int]int, count []int) []split {
	Z, g, h, node, c, l2 := b.Z, b.g, b.h, b.node, b.c, b.l2
	G, H := make([]float64, len(frontier)), make([]float64, len(frontier))
	for i := range len(Z) {
		if k, ok := pos[node[i]]; ok {
			G[k] += g[i]
			H[k] += h[i]
		}
	}
	bs := make([]split, len(frontier))
	for k := range bs {
		bs[k].feat = -1
	}
	gl, hl, cl := make([]float64, len(frontier)), make([]float64, len(frontier)), make([]int, len(frontier))
	last := make([]int, len(frontier))
	for j := range b.order {
		clear(gl)
		clear(hl)
		clear(cl)
		for k := range last {
			last[k] = -1
		}
		for _, i := range b.order[j] {
			k, ok := pos[node[i]]
			if !ok {
				continue
			}
			// A split between the previous row of this node and i.
			if prev := last[k]; prev >= 0 && Z[prev][j] < Z[i][j] &&
				cl[k] >= c.MinLeaf && count[frontier[k]]-cl[k] >= c.MinLeaf && hl[k] > minHessian && H[k]-hl[k] > minHessian {
				gr, hr := G[k]-gl[k], H[k]-hl[k]
				gain := gl[k]*gl[k]/(hl[k]+l2) + gr*gr/(hr+l2) - G[k]*G[k]/(H[k]+l2)
				if gain > bs[k].gain+1e-15 {
					bs[k] = split{gain, (Z[prev][j] + Z[i][j]) / 2, j}
				}
			}
			gl[k] += g[i]
			hl[k] += h[i]
			cl[k]++
			last[k] = i
		}
	}
	return bs
}

// applySplits turns the frontier nodes with a split in bs into inner nodes
// with two new leaves each, moves their rows to the children, and returns
// the grown tree, the row counts and the next frontier (the new leaves).
func (b *booster) applySplits(tree Tree, count, frontier []int, pos map[int]int, bs []split) (Tree, []int, []int) {
	var next []int
	for k, nd := range frontier {
		if bs[k].feat < 0 {
			continue
		}
		l, r := len(tree), len(tree)+1
		tree = append(tree, TreeNode{Feature: -1}, TreeNode{Feature: -1})
		count = append(count, 0, 0)
		tree[nd] = TreeNode{Feature: bs[k].feat, Threshold: bs[k].thr, Left: l, Right: r}
		next = append(next, l, r)
	}
	node := b.node
	for i := range node {
		// Rows of a frontier node just split move to its children.
		if _, ok := pos[node[i]]; !ok || tree[node[i]].Feature < 0 {
			continue
		}
		t := tree[node[i]]
		if b.Z[i][t.Feature] <= t.Threshold {
			node[i] = t.Left
		} else {
			node[i] = t.Right
		}
		count[node[i]]++
	}
	return tree, count, next
}

// leafValues sets the leaves of tree to their Newton steps, shrunk by the
// learning rate.
func (b *booster) leafValues(tree Tree) {
	G, H := make([]float64, len(tree)), make([]float64, len(tree))
	for i, nd := range b.node {
		G[nd] += b.g[i]
		H[nd] += b.h[i]
	}
	for k := range tree {
		if tree[k].Feature < 0 {
			tree[k].Value = -b.c.Rate * G[k] / (H[k] + b.l2)
		}
	}
}

// checkTrees validates trees for d features: indices in range, every node
// reachable once from the root, finite values.
func checkTrees(trees []Tree, d int) error {
	for ti, t := range trees {
		if len(t) == 0 {
			return fmt.Errorf("tree %d is empty", ti)
		}
		seen := make([]bool, len(t))
		stack := []int{0}
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[i] {
				return fmt.Errorf("tree %d: node %d is reached twice", ti, i)
			}
			seen[i] = true
			nd := t[i]
			if nd.Feature < 0 {
				if math.IsNaN(nd.Value) || math.IsInf(nd.Value, 0) {
					return fmt.Errorf("tree %d: node %d: value is not finite", ti, i)
				}
				continue
			}
			if nd.Feature >= d || nd.Left <= i || nd.Right <= i || nd.Left >= len(t) || nd.Right >= len(t) ||
				math.IsNaN(nd.Threshold) || math.IsInf(nd.Threshold, 0) {
				return fmt.Errorf("tree %d: node %d: feature %d, children %d and %d, threshold %v invalid for %d features and %d nodes",
					ti, i, nd.Feature, nd.Left, nd.Right, nd.Threshold, d, len(t))
			}
			stack = append(stack, nd.Left, nd.Right)
		}
	}
	return nil
}
