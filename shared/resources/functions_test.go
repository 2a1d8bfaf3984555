package resources_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/resources"
)

func TestFunctionAccessNamesDefinedResources(t *testing.T) {
	for _, fn := range resources.Functions {
		// GIVEN a function's access table
		for _, a := range fn.Tables {
			// THEN every table is one of resources.All
			if !slices.ContainsFunc(resources.All, func(t resources.Table) bool { return t.ID == a.Table.ID }) {
				t.Errorf("%s: table %s is not in resources.All", fn.Name, a.Table.ID)
			}
			// AND it has table actions or queried indexes, each DynamoDB and listed once
			if len(a.Actions) == 0 && len(a.QueriedIndexes) == 0 {
				t.Errorf("%s: no access to %s", fn.Name, a.Table.ID)
			}
			checkActions(t, fn.Name+" "+a.Table.ID, a.Actions, "dynamodb:")
			// AND every queried index exists on that table
			for _, ix := range a.QueriedIndexes {
				if !slices.ContainsFunc(a.Table.Indexes, func(i resources.Index) bool { return i.Name == ix }) {
					t.Errorf("%s: %s has no index %s", fn.Name, a.Table.ID, ix)
				}
			}
		}
		for _, a := range fn.Queues {
			checkActions(t, fn.Name+" "+a.Queue.ID, a.Actions, "sqs:")
		}
	}
}

func checkActions(t *testing.T, what string, actions []resources.Action, prefix string) {
	t.Helper()
	for i, a := range actions {
		if !strings.HasPrefix(string(a), prefix) {
			t.Errorf("%s: action %s is not %s*", what, a, prefix)
		}
		if slices.Contains(actions[:i], a) {
			t.Errorf("%s: action %s listed twice", what, a)
		}
	}
}

func TestFunctionEnvIsUnique(t *testing.T) {
	for _, fn := range resources.Functions {
		// GIVEN a function WHEN listing its environment THEN no variable appears twice
		env := fn.Env()
		for i, v := range env {
			if slices.Contains(env[:i], v) {
				t.Errorf("%s: %s twice in %v", fn.Name, v, env)
			}
		}
	}
}

func TestFunctionNamesAndSizing(t *testing.T) {
	seen := map[string]bool{}
	for _, fn := range resources.Functions {
		// GIVEN each function THEN its name is unique and its sizing within Lambda's limits
		if fn.Name == "" || seen[fn.Name] {
			t.Errorf("function name %q empty or duplicate", fn.Name)
		}
		seen[fn.Name] = true
		if fn.MemoryMB < 128 || fn.MemoryMB > 10240 {
			t.Errorf("%s: memory %d MB", fn.Name, fn.MemoryMB)
		}
		if fn.Timeout < time.Second || fn.Timeout > 15*time.Minute || fn.Timeout%time.Second != 0 {
			t.Errorf("%s: timeout %v", fn.Name, fn.Timeout)
		}
	}
}

func TestQueueVisibilityTimeout(t *testing.T) {
	// GIVEN the consumer, fed by the targets queue
	fn := resources.ConsumerFunction
	// WHEN computing the queue's visibility timeout
	got := fn.QueueVisibilityTimeout()
	// THEN it is six times the consumer's timeout (360 s): a FIFO event source has no batching window
	if got != 360*time.Second {
		t.Errorf("visibility timeout %v, want 360s", got)
	}
	if !fn.EventSource.Queue.FIFO || fn.EventSource.MaxBatchingWindow != 0 || fn.EventSource.BatchSize > 10 {
		t.Errorf("event source %+v: the targets queue is FIFO, whose event sources take at most 10 messages and no batching window", fn.EventSource)
	}
	if fn.EventSource.Queue.ID != resources.TargetsQueue.ID {
		t.Errorf("consumer fed by %s", fn.EventSource.Queue.ID)
	}
}
