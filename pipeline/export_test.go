package pipeline

// CheckpointEnded reports whether b is a readable checkpoint of an ended
// session (its marker, deleted once the session's last chunk is
// committed).
func CheckpointEnded(b []byte) bool {
	c, err := decodeCheckpoint(b)
	return err == nil && c.ended
}
