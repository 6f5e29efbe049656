package chat

import "testing"

func TestLoadShippedContent(t *testing.T) {
	e := loadEngine(t)
	n := 0
	for _, id := range e.Flows() {
		n += len(e.Flow(id).Nodes)
	}
	t.Logf("%d flows, %d nodes", len(e.Flows()), n)
}
