package contracttest_test

import (
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
)

// TestCloneSharesNothing: a clone starts from the store's state, and
// neither sees what the other writes afterwards.
func TestCloneSharesNothing(t *testing.T) {
	s := contracttest.New()
	c := create(t, s, "a", "x1", client)
	fork := s.Clone()
	c.Version, c.Name = 2, "changed in the clone"
	if err := fork.ReplaceContract(ctx, c, contract.Companions{}, nil); err != nil {
		t.Fatal(err)
	}
	create(t, s, "a", "x2", client)
	if got, _ := s.GetContract(ctx, "a", "x1"); got.Version != 1 {
		t.Fatalf("the clone's replace reached the store: %+v", got)
	}
	absent(t, fork, "a", "x2")
	if n, _ := fork.NextContractNumber(ctx, "a"); n != 2 {
		t.Fatalf("the clone draws %d, want 2: its counter is its own", n)
	}
}
