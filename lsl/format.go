package lsl

import "fmt"

// ChannelFormat is the value type of every channel of a stream. The
// numbers are liblsl's (lsl_channel_format_t) and the names are the
// channel_format strings of the stream info XML.
type ChannelFormat int

const (
	FormatUndefined ChannelFormat = 0
	FormatFloat32   ChannelFormat = 1
	FormatDouble64  ChannelFormat = 2
	FormatString    ChannelFormat = 3
	FormatInt32     ChannelFormat = 4
	FormatInt16     ChannelFormat = 5
	FormatInt8      ChannelFormat = 6
	FormatInt64     ChannelFormat = 7
)

var formatNames = [...]string{"undefined", "float32", "double64", "string", "int32", "int16", "int8", "int64"}

// String is the format's name in the stream info XML ("float32", …).
func (f ChannelFormat) String() string {
	if f < 0 || int(f) >= len(formatNames) {
		return fmt.Sprintf("ChannelFormat(%d)", int(f))
	}
	return formatNames[f]
}

// ParseChannelFormat returns the format named s as in the XML
// ("float32", "double64", "string", "int32", "int16", "int8", "int64").
func ParseChannelFormat(s string) (ChannelFormat, error) {
	for i, n := range formatNames {
		if i > 0 && n == s {
			return ChannelFormat(i), nil
		}
	}
	return FormatUndefined, fmt.Errorf("lsl: unknown channel format %q", s)
}

// Size is the size in bytes of one value on the wire; 0 for strings
// (length-prefixed) and undefined.
func (f ChannelFormat) Size() int {
	switch f {
	case FormatFloat32, FormatInt32:
		return 4
	case FormatDouble64, FormatInt64:
		return 8
	case FormatInt16:
		return 2
	case FormatInt8:
		return 1
	}
	return 0
}

func (f ChannelFormat) valid() bool { return f >= FormatFloat32 && f <= FormatInt64 }

func (f ChannelFormat) isFloat() bool { return f == FormatFloat32 || f == FormatDouble64 }
