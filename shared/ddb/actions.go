package ddb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
)

// segmentItem is a contract segment, stored inside its contract: segments
// are read and written with their contract, never alone.
type segmentItem struct {
	ID               string   `dynamodbav:"id"`
	PreviousID       string   `dynamodbav:"previousId,omitempty"`
	PlanID           string   `dynamodbav:"planId"`
	Currencies       []string `dynamodbav:"currencies"`
	EffectiveDate    string   `dynamodbav:"effectiveDate"`
	ExpirationDate   string   `dynamodbav:"expirationDate"`
	BillingCycleDay  int      `dynamodbav:"billingCycleDay"`
	BillingCycleType string   `dynamodbav:"billingCycleType"`
	Price            string   `dynamodbav:"price,omitempty"`
	CreatedAt        string   `dynamodbav:"createdAt"`
	UpdatedAt        string   `dynamodbav:"updatedAt"`
	CreatedBy        string   `dynamodbav:"createdBy"`
	UpdatedBy        string   `dynamodbav:"updatedBy"`
}

func toSegmentItems(segs []contract.Segment) []segmentItem {
	if len(segs) == 0 {
		return nil
	}
	out := make([]segmentItem, len(segs))
	for i, s := range segs {
		out[i] = segmentItem{
			ID: s.ID, PreviousID: s.PreviousID, PlanID: s.PlanID, Currencies: s.Currencies,
			EffectiveDate: s.EffectiveDate, ExpirationDate: s.ExpirationDate,
			BillingCycleDay: s.BillingCycleDay, BillingCycleType: s.BillingCycleType, Price: s.Price,
			CreatedAt: formatTime(s.CreatedAt), UpdatedAt: formatTime(s.UpdatedAt), CreatedBy: s.CreatedBy, UpdatedBy: s.UpdatedBy,
		}
	}
	return out
}

func toSegments(items []segmentItem) ([]contract.Segment, error) {
	if len(items) == 0 {
		return nil, nil
	}
	out := make([]contract.Segment, len(items))
	for i, it := range items {
		created, updated, err := parseStamps(it.CreatedAt, it.UpdatedAt)
		if err != nil {
			return nil, fmt.Errorf("ddb: decode segment %s: %w", it.ID, err)
		}
		out[i] = contract.Segment{
			ID: it.ID, PreviousID: it.PreviousID, PlanID: it.PlanID, Currencies: it.Currencies,
			EffectiveDate: it.EffectiveDate, ExpirationDate: it.ExpirationDate,
			BillingCycleDay: it.BillingCycleDay, BillingCycleType: it.BillingCycleType, Price: it.Price,
			CreatedAt: created, UpdatedAt: updated, CreatedBy: it.CreatedBy, UpdatedBy: it.UpdatedBy,
		}
	}
	return out, nil
}

type actionItem struct {
	PK            string   `dynamodbav:"PK"`
	SK            string   `dynamodbav:"SK"`
	Type          string   `dynamodbav:"type"`
	TenantID      string   `dynamodbav:"tenantId"`
	ActionID      string   `dynamodbav:"actionId"`
	Number        string   `dynamodbav:"number"`
	AccountNumber string   `dynamodbav:"accountNumber"`
	ContractID    string   `dynamodbav:"contractId"`
	ActionType    string   `dynamodbav:"actionType"`
	Request       string   `dynamodbav:"request"`
	SegmentIDs    []string `dynamodbav:"segmentIds"`
	Status        string   `dynamodbav:"status"`
	CreatedAt     string   `dynamodbav:"createdAt"`
	UpdatedAt     string   `dynamodbav:"updatedAt"`
	CreatedBy     string   `dynamodbav:"createdBy"`
	UpdatedBy     string   `dynamodbav:"updatedBy"`
}

// deliveryItem records that a delivery (an SQS message, an EventBridge
// event) was applied, and the hash of its request, until it can no longer
// be delivered again.
type deliveryItem struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	ActionNumber string `dynamodbav:"actionNumber"`
	RequestHash  string `dynamodbav:"requestHash"`
	ExpiresAt    int64  `dynamodbav:"expiresAt"`
}

// deliveryRetention is how long a delivery's record is kept after it was
// applied. A message lives at most 14 days from its sending, in the queue
// and then in its dead-letter queue (whose retention counts from the
// first enqueue); redriven, it is a new message, with up to 14 days
// again. 30 days outlives a redrive at the very end of the first life, so
// a message redriven under its Idempotency-Key still finds its record.
// (The table's TTL removes a record some time after it expires; until
// then it still counts.)
const deliveryRetention = 30 * 24 * time.Hour

// requestHash names a delivery's request in its record.
func requestHash(request []byte) string {
	sum := sha256.Sum256(request)
	return hex.EncodeToString(sum[:])
}

// redelivered tells a delivery whose record is in the way of the
// transaction (err) at index at: the same request again is
// ErrAlreadyApplied, another request under the same key
// ErrDeliveryKeyReused. A record written before records kept the hash
// is taken for the same request.
func redelivered(err error, at int, a *contract.Action) error {
	var tx *types.TransactionCanceledException
	if errors.As(err, &tx) && at < len(tx.CancellationReasons) {
		held, ok := tx.CancellationReasons[at].Item["requestHash"].(*types.AttributeValueMemberS)
		if ok && held.Value != requestHash(a.Request) {
			return contract.ErrDeliveryKeyReused
		}
	}
	return contract.ErrAlreadyApplied
}

// errNoDelivery is a delivery's record not found.
var errNoDelivery = errors.New("no delivery record")

// CheckDelivery implements contract.ActionStore with one consistent
// GetItem of the delivery's record.
func (s *Store) CheckDelivery(ctx context.Context, tenantID, dedupe string, request json.RawMessage) error {
	var it deliveryItem
	err := s.getItem(ctx, tenantPK(tenantID), dedupeSK(dedupe), &it, errNoDelivery)
	switch {
	case errors.Is(err, errNoDelivery):
		return nil
	case err != nil:
		return fmt.Errorf("ddb: read delivery %s: %w", dedupe, err)
	case it.RequestHash != "" && it.RequestHash != requestHash(request):
		return contract.ErrDeliveryKeyReused
	}
	return contract.ErrAlreadyApplied
}

// DrawNumbers implements contract.ActionStore with one UpdateItem of the
// tenant's contract counter, which counts actions too (lastAction): a
// request's contract numbers and its action number in one round trip,
// where two counters took two (or one per new contract, and one more).
// The contract numbers are last-contracts+1 to last, contiguous.
//
// The action count moved there from its own counter item
// (COUNTER#action). A tenant whose counter has no lastAction yet has its
// action count moved over once, by migrateActionCounter, before the draw;
// a tenant without any counter starts both at zero.
func (s *Store) DrawNumbers(ctx context.Context, tenantID string, contracts int) (firstContract, action int64, err error) {
	for attempt := 1; ; attempt++ {
		out, err := s.updateCounter(ctx, &dynamodb.UpdateItemInput{
			TableName:                &s.table,
			Key:                      key(tenantPK(tenantID), counterSK(sequenceContract)),
			UpdateExpression:         aws.String("ADD #last :contracts, #lastAction :one SET #type = :type"),
			ConditionExpression:      aws.String("attribute_exists(#lastAction) OR attribute_not_exists(PK)"),
			ExpressionAttributeNames: map[string]string{"#last": "last", "#lastAction": attrLastAction, "#type": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":contracts": &types.AttributeValueMemberN{Value: strconv.Itoa(contracts)},
				":one":       &types.AttributeValueMemberN{Value: "1"},
				":type":      &types.AttributeValueMemberS{Value: typeCounter},
			},
			ReturnValues: types.ReturnValueUpdatedNew,
		})
		if conditionFailed(err) != nil && attempt < maxMigrationAttempts {
			if err := s.migrateActionCounter(ctx, tenantID); err != nil {
				return 0, 0, err
			}
			continue
		}
		if err != nil {
			return 0, 0, fmt.Errorf("ddb: draw numbers of tenant %s: %w", tenantID, err)
		}
		var last int64
		err1 := attributevalue.Unmarshal(out.Attributes["last"], &last)
		err2 := attributevalue.Unmarshal(out.Attributes[attrLastAction], &action)
		if err := errors.Join(err1, err2); err != nil {
			return 0, 0, fmt.Errorf("ddb: decode the counter of tenant %s: %w", tenantID, err)
		}
		return last - int64(contracts) + 1, action, nil
	}
}

// attrLastAction is the attribute of a tenant's contract counter that
// counts its action numbers.
const attrLastAction = "lastAction"

// maxMigrationAttempts bounds the draws of a tenant whose action count is
// being moved: each migration either moves it or finds it moved, so a
// second draw succeeds unless something else keeps moving the old
// counter.
const maxMigrationAttempts = 4

// migrateActionCounter moves a tenant's action count from its own
// counter item, COUNTER#action, into its contract counter, once: the
// count is read, then written as lastAction in a transaction that also
// checks the old item still holds what was read (a draw by a function
// deployed before the move changes it), so no action number drawn before
// is drawn again. A move that finds lastAction written already (another
// request moved it) or the old count moved is not an error: the caller
// draws again, and moves again if it must.
func (s *Store) migrateActionCounter(ctx context.Context, tenantID string) error {
	old, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(tenantPK(tenantID), counterSK(sequenceAction)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return fmt.Errorf("ddb: read the action counter of tenant %s: %w", tenantID, err)
	}
	check := &types.ConditionCheck{
		TableName: &s.table, Key: key(tenantPK(tenantID), counterSK(sequenceAction)),
		ConditionExpression: aws.String("attribute_not_exists(PK)"),
	}
	count := &types.AttributeValueMemberN{Value: "0"}
	if last, ok := old.Item["last"].(*types.AttributeValueMemberN); ok {
		count = last
		check.ConditionExpression = aws.String("#last = :last")
		check.ExpressionAttributeNames = map[string]string{"#last": "last"}
		check.ExpressionAttributeValues = map[string]types.AttributeValue{":last": last}
	}
	_, err = s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.table, Key: key(tenantPK(tenantID), counterSK(sequenceContract)),
			UpdateExpression:          aws.String("SET #lastAction = :count"),
			ConditionExpression:       aws.String("attribute_not_exists(#lastAction)"),
			ExpressionAttributeNames:  map[string]string{"#lastAction": attrLastAction},
			ExpressionAttributeValues: map[string]types.AttributeValue{":count": count},
		}},
		{ConditionCheck: check},
	}})
	if err != nil && conditionFailed(err) == nil && !transactionConflict(err) {
		return fmt.Errorf("ddb: move the action counter of tenant %s: %w", tenantID, err)
	}
	return nil
}

// actionWrites are the writes of contract actions: the action record,
// each new contract with its id item, the delivery's record when dedupe
// is set (at deliveryAt, or -1), and each changed contract conditioned on
// the version that was read (from firstChanged on).
type actionWrites struct {
	items                    []types.TransactWriteItem
	deliveryAt, firstChanged int
}

// actionWrites builds the writes of contract actions, refused when they
// are more than one transaction holds (checkActionCount); claimed is
// whether an Idempotency-Key's record goes with them.
func (s *Store) actionWrites(a *contract.Action, created, changed []*contract.Contract, dedupe string, claimed bool) (actionWrites, error) {
	news := []any{actionItem{
		PK: tenantPK(a.TenantID), SK: actionSK(a.Number), Type: typeAction, TenantID: a.TenantID,
		ActionID: a.ID, Number: a.Number, AccountNumber: a.AccountNumber, ContractID: a.ContractID,
		ActionType: a.Type, Request: string(a.Request), SegmentIDs: a.SegmentIDs, Status: string(a.Status),
		CreatedAt: formatTime(a.CreatedAt), UpdatedAt: formatTime(a.UpdatedAt), CreatedBy: a.CreatedBy, UpdatedBy: a.UpdatedBy,
	}}
	for _, c := range created {
		news = append(news, toContractItem(c),
			contractIDItem{PK: tenantPK(c.TenantID), SK: contractIDSK(c.ID), Type: typeContractID, Number: c.Number})
	}
	w := actionWrites{deliveryAt: -1}
	if dedupe != "" {
		w.deliveryAt = len(news)
		news = append(news, deliveryItem{
			PK: tenantPK(a.TenantID), SK: dedupeSK(dedupe), Type: typeDelivery, ActionNumber: a.Number,
			RequestHash: requestHash(a.Request), ExpiresAt: a.CreatedAt.Add(deliveryRetention).Unix(),
		})
	}
	items, err := s.newItems(news...)
	if err != nil {
		return actionWrites{}, fmt.Errorf("ddb: encode action %s: %w", a.Number, err)
	}
	if w.deliveryAt >= 0 {
		// A record in the way is handed back, to tell a redelivery
		// from another request under the same key.
		items[w.deliveryAt].Put.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	}
	w.firstChanged = len(items)
	// Contracts of listed parties (fabric's) are not changed by actions;
	// were one ever, its counts would move here as a replace moves them.
	var moves []types.TransactWriteItem
	for _, c := range created {
		if listed(c.Party) {
			moves = append(moves, s.countWrite(c.TenantID, c.Party, nil, c.Listing()))
		}
	}
	for _, c := range changed {
		av, err := attributevalue.MarshalMap(toContractItem(c))
		if err != nil {
			return actionWrites{}, fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
		}
		values := map[string]types.AttributeValue{":read": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Version - 1)}}
		listedAt, move := s.replaceGuard(c, values)
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: av, ConditionExpression: aws.String("version = :read" + listedAt),
			ExpressionAttributeValues: values,
		}})
		if move != nil {
			moves = append(moves, *move)
		}
		refs, err := s.referenceWrite(c)
		if err != nil {
			return actionWrites{}, fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
		}
		moves = append(moves, refs...)
	}
	w.items = append(items, moves...)
	if err := checkActionCount(w, claimed); err != nil {
		return actionWrites{}, err
	}
	return w, nil
}

// checkActionCount refuses contract actions that write more items than
// one transaction may hold, saying how they count; claimed is whether an
// Idempotency-Key's record goes with them.
func checkActionCount(w actionWrites, claimed bool) error {
	n := len(w.items)
	if claimed {
		n++
	}
	if n <= maxTransactItems {
		return nil
	}
	return tooLarge(TooLargeRequest, "it writes %d records (its action record, two for each contract it creates, one for each it changes, and one for an Idempotency-Key or a delivery), more than the %d one change may write together", n, maxTransactItems)
}

// CheckActions implements contract.ActionStore: the writes ApplyActions
// would send for the same arguments, the record of the request's
// Idempotency-Key included, checked against DynamoDB's limits, with
// nothing sent. Numbers have one width (FormatNumber), so the check holds
// for placeholders in place of numbers not yet drawn.
func (s *Store) CheckActions(_ context.Context, a *contract.Action, created, changed []*contract.Contract, dedupe string, claim *idempotency.Claim) error {
	w, err := s.actionWrites(a, created, changed, dedupe, claim != nil)
	if err != nil {
		return err
	}
	items, err := s.withClaim(claim, w.items)
	if err != nil {
		return err
	}
	return checkWrite(items...)
}

// ApplyActions implements contract.ActionStore: one transaction holding
// the action record, each new contract with its id item, and each changed
// contract conditioned on the version that was read.
func (s *Store) ApplyActions(ctx context.Context, a *contract.Action, created, changed []*contract.Contract, dedupe string, claim *idempotency.Claim) error {
	w, err := s.actionWrites(a, created, changed, dedupe, claim != nil)
	if err != nil {
		return err
	}
	items, deliveryAt, firstChanged := w.items, w.deliveryAt, w.firstChanged
	err = s.transact(ctx, items, claim)
	if failed := conditionFailed(err); failed != nil {
		if deliveryAt >= 0 && deliveryAt < len(failed) && failed[deliveryAt] {
			return redelivered(err, deliveryAt, a)
		}
		if failed[0] {
			return contract.ErrActionNumberTaken
		}
		for i := firstChanged; i < len(items) && i < len(failed); i++ {
			if failed[i] {
				return contract.ErrVersionConflict
			}
		}
		return fmt.Errorf("ddb: apply action %s: a new key is taken: %w", a.Number, err)
	}
	if contract.KindOf(err) == contract.KindUnprocessable {
		return err // refused for its size, unwrapped as CheckActions gives it
	}
	if err != nil {
		return fmt.Errorf("ddb: apply action %s: %w", a.Number, err)
	}
	return nil
}

// GetAction implements contract.ActionStore.
func (s *Store) GetAction(ctx context.Context, tenantID, number string) (*contract.Action, error) {
	var it actionItem
	missing := contract.Errorf(contract.KindNotFound, "contract action %q not found", number)
	if err := s.getItem(ctx, tenantPK(tenantID), actionSK(number), &it, missing); err != nil {
		return nil, fmt.Errorf("ddb: get action %s: %w", number, err)
	}
	created, updated, err := parseStamps(it.CreatedAt, it.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("ddb: decode action %s: %w", number, err)
	}
	return &contract.Action{
		TenantID: it.TenantID, ID: it.ActionID, Number: it.Number, AccountNumber: it.AccountNumber,
		ContractID: it.ContractID, Type: it.ActionType, Request: json.RawMessage(it.Request),
		SegmentIDs: it.SegmentIDs, Status: contract.Status(it.Status),
		CreatedAt: created, UpdatedAt: updated, CreatedBy: it.CreatedBy, UpdatedBy: it.UpdatedBy,
	}, nil
}

var _ contract.ActionStore = (*Store)(nil)
