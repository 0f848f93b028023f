package main

import (
	"container/list"
	"crypto/sha256"
	"encoding/binary"
	"sync"
)

// eventKey identifies a CloudEvent: the spec makes source+id unique for each distinct event,
// and the cron source keeps them stable across redeliveries. A struct, not a joined string,
// so that source "a" with id "bc" and source "ab" with id "c" stay different keys.
type eventKey struct {
	source, id string
}

// digest is what seenEvents stores for a key: a fixed 32 bytes however long the source and id
// are (each may be up to a 1 MiB body). The source's length goes first, keeping keys apart.
type digest [sha256.Size]byte

func (k eventKey) digest() digest {
	h := sha256.New()
	_ = binary.Write(h, binary.BigEndian, uint64(len(k.source)))
	h.Write([]byte(k.source))
	h.Write([]byte(k.id))
	var d digest
	h.Sum(d[:0])
	return d
}

// seenEvents remembers the keys of the most recently seen events, at most size of them: the
// sink half of effectively-once delivery, deterministic event ids being the source half. When
// full it forgets the least recently seen key. A size of 0 or less remembers nothing. It is
// safe for concurrent use, and its memory lives only as long as the process.
type seenEvents struct {
	size int

	mu    sync.Mutex
	order *list.List               // of digest, most recently seen first
	index map[digest]*list.Element // the element of each key in order
}

// newSeenEvents returns an empty seenEvents that remembers up to size keys; 0 turns it off.
func newSeenEvents(size int) *seenEvents {
	return &seenEvents{size: size, order: list.New(), index: make(map[digest]*list.Element)}
}

// seenOrAdd reports whether k was already remembered, and remembers it as the most recently
// seen key either way. Check and insert are one step, so of concurrent calls with the same
// key exactly one returns false.
func (s *seenEvents) seenOrAdd(k eventKey) bool {
	if s.size <= 0 {
		return false
	}
	d := k.digest()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.index[d]; ok {
		s.order.MoveToFront(e)
		return true
	}
	s.index[d] = s.order.PushFront(d)
	if s.order.Len() > s.size {
		oldest := s.order.Back()
		s.order.Remove(oldest)
		delete(s.index, oldest.Value.(digest))
	}
	return false
}

// len returns how many keys are remembered.
func (s *seenEvents) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
