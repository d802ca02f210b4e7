package ddb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
)

// contractItem is a contract as stored. Times are RFC 3339 strings with
// nanoseconds so they sort and read back exactly.
type contractItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	GSI2PK string `dynamodbav:"GSI2PK"`
	GSI2SK string `dynamodbav:"GSI2SK"`
	// The keys of an organization's listings (GSI3 to GSI7) and the
	// search texts GSI3, GSI5 and GSI6 project; a contract of any other
	// party has none, so it is in none of those sparse indexes.
	GSI3PK          string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK          string `dynamodbav:"GSI3SK,omitempty"`
	GSI4SK          string `dynamodbav:"GSI4SK,omitempty"`
	GSI5SK          string `dynamodbav:"GSI5SK,omitempty"`
	GSI6SK          string `dynamodbav:"GSI6SK,omitempty"`
	GSI7SK          string `dynamodbav:"GSI7SK,omitempty"`
	SearchReference string `dynamodbav:"searchReference,omitempty"`
	SearchType      string `dynamodbav:"searchType,omitempty"`
	Type            string `dynamodbav:"type"`

	TenantID     string         `dynamodbav:"tenantId"`
	Number       string         `dynamodbav:"number"`
	ID           string         `dynamodbav:"id"`
	PartyKind    string         `dynamodbav:"partyKind"`
	PartyID      string         `dynamodbav:"partyId"`
	Reference    string         `dynamodbav:"reference,omitempty"`
	Name         string         `dynamodbav:"name,omitempty"`
	Description  string         `dynamodbav:"description,omitempty"`
	ContractType string         `dynamodbav:"contractType,omitempty"`
	AmountMinor  *int64         `dynamodbav:"amountMinor,omitempty"`
	Currency     string         `dynamodbav:"currency,omitempty"`
	Order        *int64         `dynamodbav:"order,omitempty"`
	PriceList    *priceListItem `dynamodbav:"priceList,omitempty"`
	AccountID    string         `dynamodbav:"accountId,omitempty"`
	// Attributes is kept as the JSON text the client sent: a DynamoDB map
	// would turn numbers into decimals and lose key order.
	Attributes       string        `dynamodbav:"attributes,omitempty"`
	PaymentAccountID string        `dynamodbav:"paymentAccountId,omitempty"`
	PlanIDs          []string      `dynamodbav:"planIds,omitempty"`
	Billing          *billingItem  `dynamodbav:"billing,omitempty"`
	Segments         []segmentItem `dynamodbav:"segments,omitempty"`
	ValidFrom        string        `dynamodbav:"validFrom,omitempty"`
	ValidTo          string        `dynamodbav:"validTo,omitempty"`
	Status           string        `dynamodbav:"status"`
	Version          int64         `dynamodbav:"version"`
	CreatedAt        string        `dynamodbav:"createdAt"`
	UpdatedAt        string        `dynamodbav:"updatedAt"`
	CreatedBy        string        `dynamodbav:"createdBy"`
	UpdatedBy        string        `dynamodbav:"updatedBy"`
	// UpdatedVia is the API of the change that wrote this version; the
	// contract events read it from the table's stream. Absent on items
	// written before it was kept.
	UpdatedVia string  `dynamodbav:"updatedVia,omitempty"`
	DeletedAt  *string `dynamodbav:"deletedAt,omitempty"`
	// Customer and PaymentAccount copy the records an Aira contract
	// names (contract.Contract's), so its get is one read.
	Customer       *customerItem       `dynamodbav:"customer,omitempty"`
	PaymentAccount *paymentAccountItem `dynamodbav:"paymentAccount,omitempty"`
}

// billingItem is a contract's billing terms, stored inside it.
type billingItem struct {
	EndDay              *int   `dynamodbav:"endDay,omitempty"`
	ScheduledPaymentDay *int   `dynamodbav:"scheduledPaymentDay,omitempty"`
	DueOffsetDays       *int   `dynamodbav:"dueOffsetDays,omitempty"`
	CycleMinimumAmount  string `dynamodbav:"cycleMinimumAmount,omitempty"`
}

// priceListItem is a contract's price list link, stored inside it.
type priceListItem struct {
	ID          string `dynamodbav:"id"`
	PriceListID int64  `dynamodbav:"priceListId"`
	CreatedAt   string `dynamodbav:"createdAt"`
	UpdatedAt   string `dynamodbav:"updatedAt"`
}

// contractIDItem reserves a public id within a tenant and points at the
// contract's number. It makes ids unique (written with
// attribute_not_exists in the create transaction) and gives a strongly
// consistent path from id to contract.
type contractIDItem struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	Type   string `dynamodbav:"type"`
	Number string `dynamodbav:"number"`
}

const timeLayout = time.RFC3339Nano

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

// parseStamps reads a record's creation and last change, as formatTime
// wrote them.
func parseStamps(created, updated string) (time.Time, time.Time, error) {
	c, err1 := time.Parse(timeLayout, created)
	u, err2 := time.Parse(timeLayout, updated)
	return c, u, errors.Join(err1, err2)
}

func parseTimePtr(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func toContractItem(c *contract.Contract) contractItem {
	it := contractItem{
		PK: tenantPK(c.TenantID), SK: contractSK(c.Number),
		GSI1PK: contractGSI1PK(c.TenantID, c.ID), GSI1SK: contractGSI1SK(),
		GSI2PK: partyGSI2PK(c.TenantID, c.Party), GSI2SK: contractGSI2SK(c.Number),
		Type:     typeContract,
		TenantID: c.TenantID, Number: c.Number, ID: c.ID,
		PartyKind: string(c.Party.Kind), PartyID: c.Party.ID, Reference: c.Reference,
		Name: c.Name, Description: c.Description, ContractType: c.Type,
		Order: c.Order, AccountID: c.AccountID, Attributes: string(c.Attributes),
		PaymentAccountID: c.PaymentAccountID, PlanIDs: c.PlanIDs,
		Segments:  toSegmentItems(c.Segments),
		ValidFrom: formatTimePtr(c.ValidFrom), ValidTo: formatTimePtr(c.ValidTo),
		Status: string(c.Status), Version: c.Version,
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt),
		CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy, UpdatedVia: string(c.UpdatedVia),
	}
	if listed(c.Party) {
		it.GSI3PK = listingGSI3PK(c.TenantID, c.Party, c.Listing())
		it.GSI3SK, it.GSI4SK = updatedAtGSI3SK(c), referenceGSI4SK(c)
		it.GSI5SK, it.GSI6SK, it.GSI7SK = validFromGSI5SK(c), validToGSI6SK(c), priceListGSI7SK(c)
		it.SearchReference, it.SearchType = strings.ToLower(c.Reference), strings.ToLower(c.Type)
	}
	if c.Amount != nil {
		minor := c.Amount.Minor
		it.AmountMinor, it.Currency = &minor, c.Amount.Currency
	}
	if c.DeletedAt != nil {
		s := formatTime(*c.DeletedAt)
		it.DeletedAt = &s
	}
	if cu := c.Customer; cu != nil {
		copied := toCustomerItem(cu)
		copied.PaymentAccounts = 0
		it.Customer = &copied
	}
	if pa := c.PaymentAccount; pa != nil {
		copied := toPaymentAccountItem(pa)
		it.PaymentAccount = &copied
	}
	if b := c.Billing; b != nil {
		it.Billing = &billingItem{EndDay: b.EndDay, ScheduledPaymentDay: b.ScheduledPaymentDay, DueOffsetDays: b.DueOffsetDays, CycleMinimumAmount: b.CycleMinimumAmount}
	}
	if pl := c.PriceList; pl != nil {
		it.PriceList = &priceListItem{ID: pl.ID, PriceListID: pl.PriceListID, CreatedAt: formatTime(pl.CreatedAt), UpdatedAt: formatTime(pl.UpdatedAt)}
	}
	return it
}

func (it *contractItem) toContract() (*contract.Contract, error) {
	c := &contract.Contract{
		TenantID: it.TenantID, Number: it.Number, ID: it.ID,
		Party:     contract.Party{Kind: contract.PartyKind(it.PartyKind), ID: it.PartyID},
		Reference: it.Reference, Name: it.Name, Description: it.Description, Type: it.ContractType,
		Order: it.Order, AccountID: it.AccountID,
		PaymentAccountID: it.PaymentAccountID, PlanIDs: it.PlanIDs,
		Status: contract.Status(it.Status), Version: it.Version,
		CreatedBy: it.CreatedBy, UpdatedBy: it.UpdatedBy, UpdatedVia: contract.API(it.UpdatedVia),
	}
	if it.GSI3PK != "" {
		c.Stored = &contract.Listing{Status: c.Status, Deleted: it.DeletedAt != nil}
	}
	if it.AmountMinor != nil {
		c.Amount = &contract.Money{Minor: *it.AmountMinor, Currency: it.Currency}
	}
	var err error
	var times []error
	c.ValidFrom, err = parseTimePtr(it.ValidFrom)
	times = append(times, err)
	c.ValidTo, err = parseTimePtr(it.ValidTo)
	times = append(times, err)
	c.CreatedAt, c.UpdatedAt, err = parseStamps(it.CreatedAt, it.UpdatedAt)
	times = append(times, err)
	if it.DeletedAt != nil {
		c.DeletedAt, err = parseTimePtr(*it.DeletedAt)
		times = append(times, err)
	}
	if it.Attributes != "" {
		c.Attributes = json.RawMessage(it.Attributes)
	}
	c.Segments, err = toSegments(it.Segments)
	times = append(times, err)
	if it.Customer != nil {
		c.Customer, err = it.Customer.toCustomer()
		times = append(times, err)
	}
	if it.PaymentAccount != nil {
		c.PaymentAccount, err = it.PaymentAccount.toPaymentAccount()
		times = append(times, err)
	}
	if b := it.Billing; b != nil {
		c.Billing = &contract.BillingTerms{EndDay: b.EndDay, ScheduledPaymentDay: b.ScheduledPaymentDay, DueOffsetDays: b.DueOffsetDays, CycleMinimumAmount: b.CycleMinimumAmount}
	}
	if pl := it.PriceList; pl != nil {
		link := &contract.PriceListLink{ID: pl.ID, PriceListID: pl.PriceListID}
		link.CreatedAt, link.UpdatedAt, err = parseStamps(pl.CreatedAt, pl.UpdatedAt)
		times = append(times, err)
		c.PriceList = link
	}
	if err := errors.Join(times...); err != nil {
		return nil, fmt.Errorf("ddb: decode contract %s: %w", it.Number, err)
	}
	return c, nil
}

// NextContractNumber implements contract.Store with the tenant's atomic
// counter. A number drawn by a create that then fails is not reused:
// numbers are unique and increasing, and such a gap is the price of never
// handing one number out twice.
func (s *Store) NextContractNumber(ctx context.Context, tenantID string) (int64, error) {
	return s.nextNumber(ctx, tenantID, sequenceContract)
}

// CreateContract implements contract.Store: the contract, its id item,
// its reference item if it has a reference, the new records of with and
// the record of claim's key, in one transaction, each written only if its
// key is free. A contract without a number is numbered by
// numberAndCreate.
func (s *Store) CreateContract(ctx context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	if c.Number == "" {
		return s.numberAndCreate(ctx, c, with, claim)
	}
	return s.create(ctx, c, with, claim, nil)
}

// numberAndCreate numbers c and creates it in two round trips when
// nothing races it, and draws no number for a create it refuses: one
// consistent BatchGetItem reads the tenant's contract counter with the
// items that would refuse the create (c's reference and a new customer's
// externalId, when taken; the customer and payment account a customer's
// contract names, when missing), and the create's transaction then claims the
// next number, on the condition that the counter still holds what was
// read. Drawing first (UpdateItem, then the transaction) would consume a
// number for every refused create, leaving gaps; reading first and then
// drawing takes three round trips. A create whose claim another create of
// the tenant beat draws its number with UpdateItem, as every other create
// does (four round trips in all, more when DynamoDB has the draw or the
// transaction wait for another transaction on the counter): under such
// contention a claim read again would likely lose again, at two round
// trips a loss, where a draw is only ever delayed. A failure after that
// draw leaves a gap, as it does for any create that draws.
func (s *Store) numberAndCreate(ctx context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	tenant := tenantPK(c.TenantID)
	counter, reference := counterSK(sequenceContract), referenceSK(c.Party, c.Reference)
	var externalID, customer, account string
	keys := []map[string]types.AttributeValue{key(tenant, counter)}
	if c.Reference != "" {
		keys = append(keys, key(tenant, reference))
	}
	if cu := with.Customer; cu != nil {
		externalID = customerExternalSK(cu.ExternalID)
		keys = append(keys, key(tenant, externalID))
	}
	// A customer's contract keeps copies of its customer and payment
	// account, which must exist (contract.CheckParties): those not new
	// are read too.
	named := c.Party.Kind == contract.PartyCustomer
	if named && with.Customer == nil {
		customer = customerSK(c.Party.ID)
		keys = append(keys, key(tenant, customer))
	}
	if named && with.PaymentAccount == nil {
		account = paymentAccountSK(c.PaymentAccountID)
		keys = append(keys, key(tenant, account))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return fmt.Errorf("ddb: read before creating a contract of tenant %s: %w", c.TenantID, err)
	}
	var last int64
	var taken string
	cu, pa := with.Customer, with.PaymentAccount
	for _, item := range items {
		sk, _ := item[attrSK].(*types.AttributeValueMemberS)
		if sk == nil {
			return fmt.Errorf("ddb: read before creating a contract of tenant %s: an item without a sort key", c.TenantID)
		}
		switch sk.Value {
		case counter:
			if item["last"] != nil {
				err = attributevalue.Unmarshal(item["last"], &last)
			}
		case reference:
			taken = "reference"
		case externalID:
			taken = "externalId"
		case customer:
			var it customerItem
			if err = attributevalue.UnmarshalMap(item, &it); err == nil {
				cu, err = it.toCustomer()
			}
		case account:
			var it paymentAccountItem
			if err = attributevalue.UnmarshalMap(item, &it); err == nil {
				pa, err = it.toPaymentAccount()
			}
		}
		if err != nil {
			return fmt.Errorf("ddb: decode %s of tenant %s: %w", sk.Value, c.TenantID, err)
		}
	}
	if named {
		if err := contract.CheckParties(c.Party.ID, cu, c.PaymentAccountID, pa); err != nil {
			return err
		}
		// The transaction holds the bound too; refused here, a draw
		// after lost claims cannot be spent on it.
		if with.PaymentAccount != nil && with.Customer == nil && cu.PaymentAccounts >= contract.MaxPaymentAccounts {
			return contract.TooManyPaymentAccounts(cu.ID)
		}
		c.Customer, c.PaymentAccount = cu, pa
	}
	if taken != "" {
		return takenError(taken, c, with)
	}
	c.Number = contract.FormatNumber(last + 1)
	err = s.create(ctx, c, with, claim, s.counterClaim(c.TenantID, last))
	if !errors.Is(err, errNumberClaimed) {
		return err
	}
	n, err := s.NextContractNumber(ctx, c.TenantID)
	if err != nil {
		return err
	}
	c.Number = contract.FormatNumber(n)
	return s.create(ctx, c, with, claim, nil)
}

// errNumberClaimed is create's answer when its claim of a contract number
// found the counter moved: another create claimed or drew it first.
var errNumberClaimed = errors.New("ddb: the contract number was claimed by another create")

// counterClaim is the write that moves the tenant's contract counter from
// last, as read, to last+1 in a create's transaction. A counter that was
// never written, or that so far counts only actions, has no last or a
// last of 0 (a draw of no contract numbers adds 0).
func (s *Store) counterClaim(tenantID string, last int64) *types.TransactWriteItem {
	condition := "#last = :seen"
	if last == 0 {
		condition = "attribute_not_exists(#last) OR #last = :seen"
	}
	values := map[string]types.AttributeValue{
		":seen": &types.AttributeValueMemberN{Value: strconv.FormatInt(last, 10)},
		":next": &types.AttributeValueMemberN{Value: strconv.FormatInt(last+1, 10)},
		":type": &types.AttributeValueMemberS{Value: typeCounter},
	}
	return &types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(tenantPK(tenantID), counterSK(sequenceContract)),
		UpdateExpression:          aws.String("SET #last = :next, #type = :type"),
		ConditionExpression:       aws.String(condition),
		ExpressionAttributeNames:  map[string]string{"#last": "last", "#type": "type"},
		ExpressionAttributeValues: values,
	}}
}

// create writes c, numbered, with and claim's record in one transaction;
// number, when set, moves the contract counter to c's number in it
// (errNumberClaimed when the counter had moved).
func (s *Store) create(ctx context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim, number *types.TransactWriteItem) error {
	items := []any{
		toContractItem(c),
		contractIDItem{PK: tenantPK(c.TenantID), SK: contractIDSK(c.ID), Type: typeContractID, Number: c.Number},
	}
	// reasons names what each item's failed condition means to a client;
	// the contract's own key can only clash if the counter was reset.
	reasons := []string{"", "id"}
	puts, err := s.newItems(items...)
	if err != nil {
		return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	if c.Reference != "" {
		ref, err := referenceItem(c)
		if err != nil {
			return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
		}
		puts = append(puts, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: ref, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		reasons = append(reasons, "reference")
	}
	companions, companionReasons, err := s.companionWrites(with)
	if err != nil {
		return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	reasons = append(reasons, companionReasons...)
	writes := append(puts, companions...)
	if number != nil {
		writes = append(writes, *number)
		reasons = append(reasons, reasonNumberClaimed)
	}
	if listed(c.Party) {
		writes = append(writes, s.countWrite(c.TenantID, c.Party, nil, c.Listing()))
	}
	err = s.transact(ctx, writes, claim)
	if failed := conditionFailed(err); failed != nil {
		// A refusal comes first: a create that lost its number's claim
		// and is also refused must not draw a number to be refused again.
		lost := false
		for i, f := range failed {
			switch {
			case !f || i >= len(reasons) || reasons[i] == "":
			case reasons[i] == reasonNumberClaimed:
				lost = true
			default:
				return takenError(reasons[i], c, with)
			}
		}
		if lost {
			return errNumberClaimed
		}
		return fmt.Errorf("ddb: create contract %s: number already in use: %w", c.Number, err)
	}
	if err != nil {
		return fmt.Errorf("ddb: create contract %s: %w", c.Number, err)
	}
	stored(c)
	return nil
}

// reasonNumberClaimed marks the counter's claim among a create's
// failure reasons: not a refusal of the create, but a number to claim
// again.
const reasonNumberClaimed = "number"

// takenError is the conflict for a unique value a write found taken, or
// the refusal of a payment account past its customer's bound.
func takenError(field string, c *contract.Contract, with contract.Companions) error {
	if field == "paymentAccounts" && with.PaymentAccount != nil {
		return contract.TooManyPaymentAccounts(with.PaymentAccount.CustomerID)
	}
	value := map[string]string{"id": c.ID, "reference": c.Reference}[field]
	switch {
	case field == "externalId" && with.Customer != nil:
		value = with.Customer.ExternalID
	case field == "customer.id" && with.Customer != nil:
		value = with.Customer.ID
	case field == "paymentAccount.id" && with.PaymentAccount != nil:
		value = with.PaymentAccount.ID
	}
	return contract.Taken(field, value)
}

// referenceItem is the item that reserves c's reference among its
// party's contracts (fabric's contractId) and carries a copy of c, so a
// get by reference is one consistent GetItem. The copy is written in the
// transaction of every write of c, and keeps none of c's index keys but
// GSI3PK, which no index reads without a sort key of its own, so the
// copy is in no index while it still tells where c is listed
// (Contract.Stored). Its number attribute names c, as a reference item
// written before copies were kept does alone.
func referenceItem(c *contract.Contract) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(toContractItem(c))
	if err != nil {
		return nil, err
	}
	for _, a := range []string{attrGSI1PK, attrGSI1SK, attrGSI2PK, attrGSI2SK, attrGSI3SK, attrGSI4SK, attrGSI5SK, attrGSI6SK, attrGSI7SK, attrSearchReference, attrSearchType} {
		delete(av, a)
	}
	av[attrPK] = &types.AttributeValueMemberS{Value: tenantPK(c.TenantID)}
	av[attrSK] = &types.AttributeValueMemberS{Value: referenceSK(c.Party, c.Reference)}
	av["type"] = &types.AttributeValueMemberS{Value: typeReference}
	return av, nil
}

// referenceWrite is the Put of c's reference item in the transaction of
// a change of c, when c has a reference.
func (s *Store) referenceWrite(c *contract.Contract) ([]types.TransactWriteItem, error) {
	if c.Reference == "" {
		return nil, nil
	}
	ref, err := referenceItem(c)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: ref}}}, nil
}

// GetContractByReference implements contract.Store: one consistent read
// of the reference item, which carries the contract; a reference item
// written before it did names the number, and the contract is read
// next.
func (s *Store) GetContractByReference(ctx context.Context, tenantID string, party contract.Party, reference string) (*contract.Contract, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(tenantPK(tenantID), referenceSK(party, reference)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("ddb: get contract reference %s: %w", reference, err)
	}
	if out.Item == nil {
		return nil, contract.NotFound(reference)
	}
	if _, copied := out.Item["version"]; copied {
		return decodeContract(out.Item)
	}
	var ref contractIDItem
	if err := attributevalue.UnmarshalMap(out.Item, &ref); err != nil {
		return nil, fmt.Errorf("ddb: decode contract reference %s: %w", reference, err)
	}
	return s.getContractByNumber(ctx, tenantID, ref.Number, reference)
}

// nextNumber atomically increments the tenant's named counter and returns
// the new value. ADD on a missing item starts from zero, so the first
// number is 1 and no setup is needed per tenant.
func (s *Store) nextNumber(ctx context.Context, tenantID, sequence string) (int64, error) {
	out, err := s.updateCounter(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      key(tenantPK(tenantID), counterSK(sequence)),
		UpdateExpression:         aws.String("ADD #last :one SET #type = :type"),
		ExpressionAttributeNames: map[string]string{"#last": "last", "#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":  &types.AttributeValueMemberN{Value: "1"},
			":type": &types.AttributeValueMemberS{Value: typeCounter},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("ddb: next %s number of tenant %s: %w", sequence, tenantID, err)
	}
	var n int64
	if err := attributevalue.Unmarshal(out.Attributes["last"], &n); err != nil {
		return 0, fmt.Errorf("ddb: decode %s counter: %w", sequence, err)
	}
	return n, nil
}

// updateCounter sends in, an update of a tenant's counter, again (with
// backoff) while DynamoDB refuses it because a transaction is writing the
// counter at that moment (TransactionConflictException, which the SDK
// does not retry): a create that claims its number writes the counter in
// its own transaction (numberAndCreate). A refused update changed
// nothing, so sending it again is safe.
func (s *Store) updateCounter(ctx context.Context, in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := backOff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		out, err := s.client.UpdateItem(ctx, in)
		if attempt == maxTransactAttempts || !itemInTransaction(err) {
			return out, err
		}
	}
}

// itemInTransaction reports whether DynamoDB refused a single-item write
// because a transaction was writing the item at that moment.
func itemInTransaction(err error) bool {
	var busy smithy.APIError
	return errors.As(err, &busy) && busy.ErrorCode() == "TransactionConflictException"
}

// GetContract implements contract.Store.
func (s *Store) GetContract(ctx context.Context, tenantID, id string) (*contract.Contract, error) {
	if contract.IsNumber(id) {
		return s.getContractByNumber(ctx, tenantID, id, id)
	}
	out, err := s.client.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexByID),
		KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK = :sk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: contractGSI1PK(tenantID, id)},
			":sk": &types.AttributeValueMemberS{Value: contractGSI1SK()},
		},
		Limit: aws.Int32(1),
	})
	if err != nil {
		return nil, fmt.Errorf("ddb: get contract %s: %w", id, err)
	}
	if len(out.Items) == 1 {
		return decodeContract(out.Items[0])
	}
	// The index is eventually consistent: a contract created a moment ago
	// may not be in it yet. The id item is read consistently, so a miss
	// here means the id really is unknown.
	var ref contractIDItem
	if err := s.getItem(ctx, tenantPK(tenantID), contractIDSK(id), &ref, contract.NotFound(id)); err != nil {
		return nil, fmt.Errorf("ddb: get contract id %s: %w", id, err)
	}
	return s.getContractByNumber(ctx, tenantID, ref.Number, id)
}

// getContractByNumber reads one contract; asked names it in a not-found.
func (s *Store) getContractByNumber(ctx context.Context, tenantID, number, asked string) (*contract.Contract, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(tenantPK(tenantID), contractSK(number)), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("ddb: get contract %s: %w", number, err)
	}
	if out.Item == nil {
		return nil, contract.NotFound(asked)
	}
	return decodeContract(out.Item)
}

func decodeContract(av map[string]types.AttributeValue) (*contract.Contract, error) {
	it, err := decodeContractItem(av)
	if err != nil {
		return nil, fmt.Errorf("ddb: decode contract: %w", err)
	}
	return it.toContract()
}

// decodeContractItem is attributevalue.UnmarshalMap for a contract item,
// written out: every read and every list decodes contracts, and the
// reflective decoder costs about four times as much CPU per item. Its
// nested parts (price list, billing terms, segments, plan ids), which only
// some dialects write, still go through attributevalue.
// TestDecodeContractItemMatchesUnmarshalMap holds the two to one result.
func decodeContractItem(av map[string]types.AttributeValue) (contractItem, error) {
	var it contractItem
	for name, v := range av {
		var err error
		switch name {
		case "PK":
			it.PK, err = avString(v)
		case "SK":
			it.SK, err = avString(v)
		case "GSI1PK":
			it.GSI1PK, err = avString(v)
		case "GSI1SK":
			it.GSI1SK, err = avString(v)
		case "GSI2PK":
			it.GSI2PK, err = avString(v)
		case "GSI2SK":
			it.GSI2SK, err = avString(v)
		case "GSI3PK":
			it.GSI3PK, err = avString(v)
		case "GSI3SK":
			it.GSI3SK, err = avString(v)
		case "GSI4SK":
			it.GSI4SK, err = avString(v)
		case "GSI5SK":
			it.GSI5SK, err = avString(v)
		case "GSI6SK":
			it.GSI6SK, err = avString(v)
		case "GSI7SK":
			it.GSI7SK, err = avString(v)
		case "searchReference":
			it.SearchReference, err = avString(v)
		case "searchType":
			it.SearchType, err = avString(v)
		case "type":
			it.Type, err = avString(v)
		case "tenantId":
			it.TenantID, err = avString(v)
		case "number":
			it.Number, err = avString(v)
		case "id":
			it.ID, err = avString(v)
		case "partyKind":
			it.PartyKind, err = avString(v)
		case "partyId":
			it.PartyID, err = avString(v)
		case "reference":
			it.Reference, err = avString(v)
		case "name":
			it.Name, err = avString(v)
		case "description":
			it.Description, err = avString(v)
		case "contractType":
			it.ContractType, err = avString(v)
		case "amountMinor":
			it.AmountMinor, err = avOptionalInt(v)
		case "currency":
			it.Currency, err = avString(v)
		case "order":
			it.Order, err = avOptionalInt(v)
		case "accountId":
			it.AccountID, err = avString(v)
		case "attributes":
			it.Attributes, err = avString(v)
		case "paymentAccountId":
			it.PaymentAccountID, err = avString(v)
		case "validFrom":
			it.ValidFrom, err = avString(v)
		case "validTo":
			it.ValidTo, err = avString(v)
		case "status":
			it.Status, err = avString(v)
		case "version":
			var n *int64
			if n, err = avOptionalInt(v); n != nil {
				it.Version = *n
			}
		case "createdAt":
			it.CreatedAt, err = avString(v)
		case "updatedAt":
			it.UpdatedAt, err = avString(v)
		case "createdBy":
			it.CreatedBy, err = avString(v)
		case "updatedBy":
			it.UpdatedBy, err = avString(v)
		case "updatedVia":
			it.UpdatedVia, err = avString(v)
		case "deletedAt":
			if _, null := v.(*types.AttributeValueMemberNULL); !null {
				var at string
				at, err = avString(v)
				it.DeletedAt = &at
			}
		case "priceList":
			err = attributevalue.Unmarshal(v, &it.PriceList)
		case "planIds":
			err = attributevalue.Unmarshal(v, &it.PlanIDs)
		case "billing":
			err = attributevalue.Unmarshal(v, &it.Billing)
		case "segments":
			it.Segments, err = decodeSegments(v)
		case "customer":
			err = attributevalue.Unmarshal(v, &it.Customer)
		case "paymentAccount":
			err = attributevalue.Unmarshal(v, &it.PaymentAccount)
		}
		if err != nil {
			return contractItem{}, fmt.Errorf("attribute %s: %w", name, err)
		}
	}
	return it, nil
}

// decodeSegments is attributevalue.Unmarshal for a contract's segments,
// written out for the shape the store writes (a list of maps of strings,
// string lists and numbers): an EasyBilling list page decodes a few
// segments per contract. Any other shape goes to attributevalue, so the
// result is always what it would give.
func decodeSegments(v types.AttributeValue) ([]segmentItem, error) {
	list, ok := v.(*types.AttributeValueMemberL)
	if !ok {
		var segs []segmentItem
		err := attributevalue.Unmarshal(v, &segs)
		return segs, err
	}
	segs := make([]segmentItem, len(list.Value))
	for i, e := range list.Value {
		m, ok := e.(*types.AttributeValueMemberM)
		if !ok || !decodeSegment(m.Value, &segs[i]) {
			var slow []segmentItem
			err := attributevalue.Unmarshal(v, &slow)
			return slow, err
		}
	}
	return segs, nil
}

// decodeSegment decodes one segment's attributes into seg, and reports
// false for any attribute of a shape it does not read itself.
func decodeSegment(av map[string]types.AttributeValue, seg *segmentItem) bool {
	for name, v := range av {
		var target *string
		switch name {
		case "id":
			target = &seg.ID
		case "previousId":
			target = &seg.PreviousID
		case "planId":
			target = &seg.PlanID
		case "effectiveDate":
			target = &seg.EffectiveDate
		case "expirationDate":
			target = &seg.ExpirationDate
		case "billingCycleType":
			target = &seg.BillingCycleType
		case "price":
			target = &seg.Price
		case "createdAt":
			target = &seg.CreatedAt
		case "updatedAt":
			target = &seg.UpdatedAt
		case "createdBy":
			target = &seg.CreatedBy
		case "updatedBy":
			target = &seg.UpdatedBy
		case "billingCycleDay":
			n, ok := v.(*types.AttributeValueMemberN)
			if !ok {
				return false
			}
			day, err := strconv.Atoi(n.Value)
			if err != nil {
				return false
			}
			seg.BillingCycleDay = day
			continue
		case "currencies":
			l, ok := v.(*types.AttributeValueMemberL)
			if !ok {
				return false
			}
			seg.Currencies = make([]string, len(l.Value))
			for j, c := range l.Value {
				s, ok := c.(*types.AttributeValueMemberS)
				if !ok {
					return false
				}
				seg.Currencies[j] = s.Value
			}
			continue
		default:
			continue
		}
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return false
		}
		*target = s.Value
	}
	return true
}

// avString reads a string attribute; NULL reads as "", as attributevalue
// reads it.
func avString(v types.AttributeValue) (string, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value, nil
	case *types.AttributeValueMemberNULL:
		return "", nil
	}
	return "", fmt.Errorf("want a string, got %T", v)
}

// avOptionalInt reads a number attribute holding an integer; NULL reads
// as absent.
func avOptionalInt(v types.AttributeValue) (*int64, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberN:
		n, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return nil, err
		}
		return &n, nil
	case *types.AttributeValueMemberNULL:
		return nil, nil
	}
	return nil, fmt.Errorf("want a number, got %T", v)
}

// maxListReads bounds the queries one page may take. Deleted contracts are
// filtered out after DynamoDB's Limit applies, so a page may need more than
// one query to fill; the bound keeps a partition full of deleted contracts
// from turning one request into an unbounded scan of it.
const maxListReads = 10

// ListContracts implements contract.Store. A page costs one Query in the
// common case: it asks for Limit+1 items so it knows whether another page
// follows, and reads on only while deleted contracts leave the page short.
// The read cost is that of the items read (deleted ones included), never
// of the tenant's whole partition.
func (s *Store) ListContracts(ctx context.Context, tenantID string, q contract.ListQuery) (contract.Page, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		ExpressionAttributeValues: map[string]types.AttributeValue{},
	}
	if !q.IncludeDeleted {
		in.FilterExpression = aws.String("attribute_not_exists(deletedAt)")
	}
	if q.Party.ID == "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND begins_with(SK, :prefix)")
		in.ExpressionAttributeValues[":pk"] = &types.AttributeValueMemberS{Value: tenantPK(tenantID)}
		in.ExpressionAttributeValues[":prefix"] = &types.AttributeValueMemberS{Value: contractSKPrefix}
		if q.After != "" {
			in.ExclusiveStartKey = key(tenantPK(tenantID), contractSK(q.After))
		}
	} else {
		gsiPK := partyGSI2PK(tenantID, q.Party)
		in.IndexName = aws.String(indexByParty)
		in.KeyConditionExpression = aws.String("GSI2PK = :pk")
		in.ExpressionAttributeValues[":pk"] = &types.AttributeValueMemberS{Value: gsiPK}
		if q.After != "" {
			// An index's start key holds the table key and the index key.
			in.ExclusiveStartKey = key(tenantPK(tenantID), contractSK(q.After))
			in.ExclusiveStartKey[attrGSI2PK] = &types.AttributeValueMemberS{Value: gsiPK}
			in.ExclusiveStartKey[attrGSI2SK] = &types.AttributeValueMemberS{Value: contractGSI2SK(q.After)}
		}
	}
	var page contract.Page
	for reads := 0; reads < maxListReads; reads++ {
		in.Limit = aws.Int32(int32(q.Limit + 1 - len(page.Contracts)))
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return contract.Page{}, fmt.Errorf("ddb: list contracts of tenant %s: %w", tenantID, err)
		}
		for _, av := range out.Items {
			c, err := decodeContract(av)
			if err != nil {
				return contract.Page{}, err
			}
			page.Contracts = append(page.Contracts, *c)
		}
		if len(page.Contracts) > q.Limit {
			page.Contracts = page.Contracts[:q.Limit]
			page.Next = page.Contracts[q.Limit-1].Number
			return page, nil
		}
		if out.LastEvaluatedKey == nil {
			return page, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	// Out of reads with the page still short: hand out what there is and
	// a cursor after the last item read, so the client can go on.
	if n := len(page.Contracts); n > 0 {
		page.Next = page.Contracts[n-1].Number
	} else if sk, ok := in.ExclusiveStartKey[attrSK].(*types.AttributeValueMemberS); ok {
		page.Next = strings.TrimPrefix(sk.Value, contractSKPrefix)
	}
	return page, nil
}

// ReplaceContract implements contract.Store with a conditional put: the
// write happens only if the stored version is the one the caller read.
// New companions make it one transaction with them, and so does a change
// of a listed contract's status or deletion, which moves it between its
// party's counts.
func (s *Store) ReplaceContract(ctx context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	item, err := attributevalue.MarshalMap(toContractItem(c))
	if err != nil {
		return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	values := map[string]types.AttributeValue{":read": &types.AttributeValueMemberN{Value: fmt.Sprint(c.Version - 1)}}
	listedAt, move := s.replaceGuard(c, values)
	condition := aws.String("version = :read" + listedAt)
	companions, reasons, err := s.companionWrites(with)
	if err != nil {
		return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	refs, err := s.referenceWrite(c)
	if err != nil {
		return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	// A plain conditional put is the cheaper write, unless the contract
	// has company: new records, a count to move, the copy its reference
	// item carries, or the record of an Idempotency-Key.
	if len(companions) == 0 && move == nil && len(refs) == 0 && claim == nil {
		put := types.TransactWriteItem{Put: &types.Put{Item: item}}
		if err := checkWrite(put); err != nil {
			return err
		}
		_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: &s.table, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values,
		})
		// A transaction writing the contract at this moment (a status
		// change, a delete) refuses the put: the caller reads it again,
		// as after any other writer.
		if conditionFailed(err) != nil || itemInTransaction(err) {
			return contract.ErrVersionConflict
		}
		if err != nil {
			return fmt.Errorf("ddb: replace contract %s: %w", c.Number, err)
		}
		stored(c)
		return nil
	}
	puts := append([]types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: item, ConditionExpression: condition, ExpressionAttributeValues: values}}}, companions...)
	if move != nil {
		puts = append(puts, *move)
	}
	puts = append(puts, refs...)
	err = s.transact(ctx, puts, claim)
	if failed := conditionFailed(err); failed != nil {
		if failed[0] {
			return contract.ErrVersionConflict
		}
		for i, f := range failed[1:] {
			if f && i < len(reasons) {
				return takenError(reasons[i], c, with)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("ddb: replace contract %s: %w", c.Number, err)
	}
	stored(c)
	return nil
}
