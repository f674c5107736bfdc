package lslin
