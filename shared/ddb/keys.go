package ddb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// Every key format of the table is built in this file and nowhere else.
//
// The table is a single-table design with generic key names, so one table
// holds every entity and new access patterns need no new table:
//
//	entity       PK                       SK                     GSI1PK / GSI1SK                 GSI2PK / GSI2SK
//	tenant       TENANT#<tenant>          TENANT                 -                               -
//	tenant name  TENANT-NAME#<name>       TENANT-NAME            -                               -
//	credential   CREDENTIAL#<credential>  CREDENTIAL             -                               -
//	counter      TENANT#<tenant>          COUNTER#contract       -                               -   (last: contract numbers; lastAction: action numbers)
//	old counter  TENANT#<tenant>          COUNTER#action         -                               -   (action numbers until moved, see DrawNumbers)
//	contract     TENANT#<tenant>          CONTRACT#<number>      TENANT#<t>#ID#<id> / CONTRACT   TENANT#<t>#PARTY#<kind>#<party> / CONTRACT#<number>
//	contract id  TENANT#<tenant>          ID#<id>                -                               -
//	reference    TENANT#<tenant>          REF#<kind>#<party>#<reference>  -                      -   (a copy of the contract, but its index keys)
//	plan         TENANT#<tenant>          PLAN#<plan>            -                               -
//	customer     TENANT#<tenant>          CUSTOMER#<id>          -                               -
//	external id  TENANT#<tenant>          CUSTOMER-EXTERNAL#<externalId>  -                      -
//	action       TENANT#<tenant>          ACTION#<number>        -                               -
//	delivery     TENANT#<tenant>          DEDUPE#<source>:<id>   -                               -   (expires; sqs:<message id>, events:<event id>, key:<producer's key>)
//	idempotency  TENANT#<tenant>          IDEMPOTENCY#<key>      -                               -   (expires)
//	published    TENANT#<tenant>          PUBLISHED#<event id>   -                               -   (expires)
//	pay account  TENANT#<tenant>          PAYMENT-ACCOUNT#<id>   -                               TENANT#<t>#PAYMENT-ACCOUNTS#<customer> / PAYMENT-ACCOUNT#<createdAt>#<id>
//	listing      TENANT#<tenant>          COUNT#<kind>#<party>   -                               -   (a number per listing, below)
//	  count
//
// An organization's contracts (fabric's) also carry the keys of its
// listings, GSI3 to GSI7, which share one partition key,
// GSI3PK = TENANT#<t>#LISTING#<kind>#<party>#<LIVE|DELETED>#<status>, the
// listing the contract is filed under; the party's count item holds, under
// the attribute <LIVE|DELETED>#<status>, how many contracts each listing
// has:
//
//	index  sort key                                        projection  serves
//	GSI3   GSI3SK = <updatedAt>#<number>                   INCLUDE     sortBy updatedAt (the default) and status; search
//	GSI4   GSI4SK = R<reference>                           KEYS_ONLY   sortBy contractId (unique within the party: no number)
//	GSI5   GSI5SK = <validFrom, or ~ if none>#<number>     INCLUDE     sortBy startDate; a startDate range
//	GSI6   GSI6SK = <validTo, or ~ if none>#<number>       INCLUDE     sortBy endDate; an endDate range
//	GSI7   GSI7SK = <priceListId, or ~ if none>#<number>   KEYS_ONLY   sortBy priceListId
//
// GSI3, GSI5 and GSI6 project what a filtered listing reads: the other
// orders' sort keys (so the matches sort in any order, and a second date
// range filters on its key) and the reference and type in lower case
// (searchReference, searchType). A date range reads only its key range of
// GSI5 or GSI6; a search, which no key serves, reads all of GSI3's
// entries of the listings asked for.
//
// Access patterns, each with the key or index that serves it:
//
//	authenticate a token        GetItem credential (PK from the id inside the token)
//	tenant of a credential      GetItem tenant
//	create a tenant             TransactWriteItems: the tenant + one name item per name (its id and
//	                            each alias), all attribute_not_exists, so a name names one tenant
//	reserve an older tenant's   TransactWriteItems: the tenant exists (ConditionCheck) + its name
//	  names                     items, each free or already its own
//	next contract number        UpdateItem ADD on the tenant's counter (atomic; never a scan or a count)
//	create a contract           TransactWriteItems: contract + its id item, both attribute_not_exists
//	contract by number          GetItem contract
//	create with a reference,    BatchGetItem (consistent) of the counter and the reference item (a
//	  or a customer's contract  new customer's external id item; an existing customer and payment
//	                            account); then the same transaction, plus the reference item
//	                            (attribute_not_exists) and an Update of the counter to the next
//	                            number, if it still holds the one read; a claim lost to another
//	                            create draws the number instead (UpdateItem) and writes again
//	contract by reference       GetItem reference item, which carries the contract (written in the
//	                            transaction of every write of it); one written before it did names
//	                            the number: then GetItem contract
//	contract by public id       Query GSI1 (one item); on a miss, GetItem id item then GetItem
//	                            contract, both strongly consistent, so a read right after a
//	                            create never misses while the index catches up
//	list a tenant's contracts   Query PK = TENANT#<t>, begins_with(SK, "CONTRACT#")
//	list contracts of a party   Query GSI2 on the party's partition
//	update a contract           PutItem with version = :read (optimistic lock); with a reference,
//	                            a transaction with the Put of its reference item
//	a tenant's plan catalog     GetItem / BatchGetItem plan, of the plans a warm function's cache
//	                            does not hold (PlanCacheTTL)
//	create a customer           PutItem customer + external id item in one transaction
//	  (or inside a contract's create transaction, with its payment account)
//	new pay account of a        inside the contract's transaction, an Update ADD of the
//	  customer that exists      customer's paymentAccounts, on the condition that it
//	                            stays within contract.MaxPaymentAccounts
//	customer, payment account   GetItem
//	what a contract names       its copies of its customer and payment account (Aira's answer), and
//	                            the plans from the cache; for a contract written before it kept
//	                            copies, BatchGetItem of its customer, payment account and plans
//	a customer's pay accounts   Query GSI2 on the customer's payment-account partition
//	numbers of a contract-      one UpdateItem ADD on the contract counter: last + the new contracts,
//	  actions request           lastAction + 1; a counter without lastAction first moves the count of
//	                            COUNTER#action into it (GetItem, then a transaction: SET lastAction
//	                            if absent + ConditionCheck that COUNTER#action still holds it), once
//	apply contract actions      TransactWriteItems: the action record, new contracts with their
//	                            id items, changed contracts with version = :read
//	action by number            GetItem action
//	apply a delivery once       GetItem (consistent) of its delivery item first, then the same
//	                            transaction plus the delivery item (attribute_not_exists), which
//	                            holds the request's hash; a record in the way comes back with the
//	                            refusal (ReturnValuesOnConditionCheckFailure)
//	keep a keyed write's answer a Put of the key's item, answer included, inside the request's
//	                            write transaction, if the key is free (never used, or expired); a
//	                            taken key's record comes back with the refusal
//	                            (ReturnValuesOnConditionCheckFailure)
//	keep a keyed refusal        PutItem of the key's item, on the same condition
//	contract events put already BatchGetItem of their published items (consistent); the events
//	                            of a stream batch once put, BatchWriteItem of their items
//	a window of an organization Query the order's index, in parallel for each listing asked for (a
//	  (offset, limit, sortBy,   status, or all three; deleted ones too with includeDeleted), for its
//	  status, includeDeleted)   first offset+limit keys; merge; BatchGetItem of the window's
//	                            contracts and the count item, strongly consistent
//	its count                   the count item's numbers of the listings asked for
//	a window with a date range  Query GSI5's (or GSI6's) partitions, GSI5SK BETWEEN the range's
//	                            bounds, the other filters a filter expression; sort and count the
//	                            matches, then BatchGetItem of the window's contracts
//	a window with a search      Query GSI3's partitions whole, with a filter expression on
//	                            searchReference / searchType; likewise
//	create an organization's    the create transaction, plus an Update ADD +1 of its count item
//	  contract
//	change its status, delete   the replace becomes a transaction: the Put with version = :read AND
//	  or resurrect it           GSI3PK = <the listing it was read in>, and an Update ADD -1 / +1 of
//	                            the count item (other changes stay one conditional PutItem, with the
//	                            same condition)
//	file contracts written      admin: Query the tenant's contract items without GSI3PK; per
//	  before the listings       contract, a transaction: the Put with its keys (version = :read AND
//	                            attribute_not_exists(GSI3PK)), its reference copy, count ADD +1
//
// Why five more indexes, and what they cost. fabric lists an organization
// by offset in six orders, with a status filter and the number that
// match. DynamoDB reads a key range in order and stops, so each order
// needs its own sort key, and since an item is in an index once, its own
// index (the status order reads GSI3: each partition holds one status, so
// the partitions in status order, each by last change, are that order).
// Status and deletion sit in the partition, so a status filter reads one
// partition and a list never reads the deleted contracts it leaves out; a
// list without a status filter merges three partitions. Without the
// indexes a page read the whole organization: 4.6 s at 50,000 contracts
// (BENCHMARKS.md). A table may have 20 GSIs; this makes 7. They are
// sparse (only an organization's contracts carry their keys; no other
// write touches them), and keys only (about 190 bytes an entry) but the
// three that filters read (about 450). On a deployed table CloudFormation adds one GSI per update,
// so a stack made before them gains them over five deployments.
//
// Writes, for fabric's sample contract (capacity units as DynamoDB Local
// reports them with ReturnConsumedCapacity INDEXES, which counts index
// writes inside a transaction twice, as it does the table's):
//
//	write                       before  now  where (table + GSI1 + GSI2 + GSI3-GSI7)
//	create                      8       24   6 + 4 + 4 + 10: the count item, the larger item, an
//	                                         entry in each listing
//	update, same status         3       10   2 + 2 + 2 + 4: the larger item; GSI3's entry moves
//	                                         (2), GSI5's and GSI6's are rewritten for their copy of
//	                                         updatedAt (1 each); a changed date or price list moves
//	                                         its own index's entry instead (2)
//	status change, delete or    3       34   6 + 4 + 4 + 20: a transaction now (every unit twice)
//	  resurrect                              with the count item; all five entries move
//
// The larger item: the listing keys take the sample contract from 827 to
// 1,185 bytes, past the 1 KB of a write unit, in the table and in GSI1's
// and GSI2's copies of it.
//
// Since a contract's reference item carries a copy of it (so a get by
// contractId is one read), every write of a fabric contract also puts
// that copy, in a transaction: the units above do not count it, and an
// update of the same status is a transaction of two puts where it was one
// conditional put.
//
// The count item is the cost in concurrency: every create, delete and
// status change of an organization changes it in a transaction, so they
// are serialised per organization, and DynamoDB cancels one of two that
// overlap (TransactionConflict). The store sends a cancelled transaction
// again, with backoff, up to maxTransactAttempts times, so a busy
// organization sees latency before it sees a 503. (DynamoDB Local runs
// transactions one at a time and never cancels one.)
//
// Values that come from clients (party ids, references, public ids) are
// escaped with keyPart before they enter a key, so a "#" inside one cannot
// forge the structure of another ("org#x" + "y" versus "org" + "x#y").
//
// Credentials and tenant names are the only items whose partition is not
// a tenant's: the authorizer must find the tenant from the credential, and
// a name must be unique across tenants, which no item inside one tenant's
// partition can enforce. Only the admin command (and make run's demo
// setup) writes a name item, and nothing reads one: a request's tenant
// comes from its credential. "TENANT-NAME#" is not "TENANT#" followed by
// anything, so a tenant's leading-key prefixes never cover a name item.
// Every GSI partition key starts with the tenant, so an index query cannot
// cross tenants.
// Contract sort keys are "CONTRACT#" + number and nothing else under a
// tenant starts with "CONTRACT#", so the list query reads only contracts.

// Key attribute names, generic so that every entity can use every index.
const (
	attrPK     = "PK"
	attrSK     = "SK"
	attrGSI1PK = "GSI1PK"
	attrGSI1SK = "GSI1SK"
	attrGSI2PK = "GSI2PK"
	attrGSI2SK = "GSI2SK"
	// GSI3PK partitions GSI3 to GSI7, the listings of an organization's
	// contracts; each of those indexes sorts by a key of its own.
	attrGSI3PK = "GSI3PK"
	attrGSI3SK = "GSI3SK"
	attrGSI4SK = "GSI4SK"
	attrGSI5SK = "GSI5SK"
	attrGSI6SK = "GSI6SK"
	attrGSI7SK = "GSI7SK"
	// attrTTL names the attribute DynamoDB's time to live reads (epoch
	// seconds); items without it never expire.
	attrTTL = "expiresAt"
	// attrSearchReference and attrSearchType are a listed contract's
	// reference and type in lower case, projected into GSI3 for search.
	attrSearchReference = "searchReference"
	attrSearchType      = "searchType"
)

// Index names.
const (
	indexByID    = "GSI1"
	indexByParty = "GSI2"
	// The listings of an organization's contracts, one per order fabric
	// lists in.
	indexByUpdatedAt = "GSI3"
	indexByReference = "GSI4"
	indexByValidFrom = "GSI5"
	indexByValidTo   = "GSI6"
	indexByPriceList = "GSI7"
)

// Entity types, stored in every item's "type" attribute so an item read
// from an index or a backup says what it is.
const (
	typeTenant     = "tenant"
	typeTenantName = "tenant-name"
	typeCredential = "credential"
	typeCounter    = "counter"
	typeContract   = "contract"
	typeContractID = "contract-id"
	typeReference  = "contract-reference"
	typeCustomer   = "customer"
	typeExternalID = "customer-external-id"
	typePayAccount = "payment-account"
	typeAction     = "contract-action"
	typeDelivery   = "delivery"
	typeIdemKey    = "idempotency-key"
	typePlan       = "plan"
	typePublished  = "published-event"
	typeCount      = "listing-count"
)

// sequenceContract is the counter behind contract numbers, shared by every
// dialect so a contract has one number whoever created it.
const sequenceContract = "contract"

// sequenceAction numbers contract-actions requests (CA-...).
const sequenceAction = "action"

func tenantPK(tenantID string) string         { return "TENANT#" + tenantID }
func tenantSK() string                        { return "TENANT" }
func tenantNamePK(name string) string         { return "TENANT-NAME#" + keyPart(name) }
func tenantNameSK() string                    { return "TENANT-NAME" }
func credentialPK(credentialID string) string { return "CREDENTIAL#" + credentialID }
func credentialSK() string                    { return "CREDENTIAL" }
func counterSK(sequence string) string        { return "COUNTER#" + sequence }
func contractSK(number string) string         { return contractSKPrefix + number }
func contractIDSK(id string) string           { return boundedSK("ID#", keyPart(id)) }
func planSK(planID string) string             { return boundedSK("PLAN#", keyPart(planID)) }
func actionSK(number string) string           { return boundedSK("ACTION#", keyPart(number)) }
func dedupeSK(key string) string              { return boundedSK("DEDUPE#", keyPart(key)) }
func idempotencySK(key string) string         { return boundedSK("IDEMPOTENCY#", keyPart(key)) }
func publishedSK(eventID string) string       { return boundedSK("PUBLISHED#", keyPart(eventID)) }

// contractSKPrefix starts every contract's sort key and nothing else's.
const contractSKPrefix = "CONTRACT#"

func contractGSI1PK(tenantID, id string) string {
	return boundedPK("TENANT#"+tenantID+"#ID#", keyPart(id))
}
func contractGSI1SK() string { return "CONTRACT" }

func partyGSI2PK(tenantID string, p contract.Party) string {
	return boundedPK("TENANT#"+tenantID+"#PARTY#"+string(p.Kind)+"#", keyPart(p.ID))
}

func referenceSK(p contract.Party, reference string) string {
	return boundedSK("REF#"+string(p.Kind)+"#", keyPart(p.ID)+"#"+keyPart(reference))
}

// DynamoDB's limits on the size of a key attribute.
const (
	maxPartitionKeyBytes = 2048
	maxSortKeyBytes      = 1024
)

// boundedSK is prefix+rest when that fits in a sort key. Escaping can
// triple a client's parts past DynamoDB's limit; such a key is prefix, "#"
// and rest's SHA-256 digest instead: escaped parts never start with "#",
// so no short key can equal a digest key.
func boundedSK(prefix, rest string) string { return bounded(prefix, rest, maxSortKeyBytes) }

// boundedPK is boundedSK for partition keys (of the indexes).
func boundedPK(prefix, rest string) string { return bounded(prefix, rest, maxPartitionKeyBytes) }

func bounded(prefix, rest string, limit int) string {
	if len(prefix)+len(rest) <= limit {
		return prefix + rest
	}
	sum := sha256.Sum256([]byte(rest))
	return prefix + "#" + hex.EncodeToString(sum[:])
}

func customerSK(id string) string { return boundedSK("CUSTOMER#", keyPart(id)) }
func customerExternalSK(externalID string) string {
	return boundedSK("CUSTOMER-EXTERNAL#", keyPart(externalID))
}
func paymentAccountSK(id string) string { return boundedSK("PAYMENT-ACCOUNT#", keyPart(id)) }

func paymentAccountsGSI2PK(tenantID, customerID string) string {
	return boundedPK("TENANT#"+tenantID+"#PAYMENT-ACCOUNTS#", keyPart(customerID))
}

// paymentAccountGSI2SK sorts a customer's payment accounts oldest first.
func paymentAccountGSI2SK(createdAt, id string) string {
	return "PAYMENT-ACCOUNT#" + createdAt + "#" + keyPart(id)
}

// keyEscaper escapes the key separator in client-supplied key parts, and
// the escape character itself so the escaping cannot be forged either.
var keyEscaper = strings.NewReplacer("%", "%25", "#", "%23")

func keyPart(s string) string             { return keyEscaper.Replace(s) }
func contractGSI2SK(number string) string { return contractSKPrefix + number }

// listed reports whether the store keeps ordered listings and counts of a
// party's contracts: an organization's, which fabric lists by offset in
// six orders with the number that match. Other parties' contracts are
// listed by cursor in number order (GSI2) and need neither, so their
// writes pay nothing for them.
func listed(p contract.Party) bool { return p.Kind == contract.PartyOrganization }

// listingGSI3PK is a listed contract's partition in GSI3 to GSI7: its
// party, whether it is deleted, and its status. A status filter reads one
// partition; a list without one merges a partition per status.
func listingGSI3PK(tenantID string, p contract.Party, l contract.Listing) string {
	return boundedPK("TENANT#"+tenantID+"#LISTING#"+string(p.Kind)+"#", keyPart(p.ID)+"#"+countName(l))
}

// countName is the attribute of a party's count item that counts the
// contracts filed under l, and the tail of their listing partition.
func countName(l contract.Listing) string {
	life := "LIVE"
	if l.Deleted {
		life = "DELETED"
	}
	return life + "#" + keyPart(string(l.Status))
}

// countSK is the sort key of a listed party's count item.
func countSK(p contract.Party) string { return boundedSK("COUNT#"+string(p.Kind)+"#", keyPart(p.ID)) }

// orderTimeLayout writes instants at one width, to the nanosecond, so
// their text sorts as they do; RFC 3339's shortest fraction does not
// ("…:05.1Z" sorts after "…:05.15Z"). Years 0000 to 9999, all that fabric
// accepts, have four digits.
const orderTimeLayout = "2006-01-02T15:04:05.000000000Z"

func orderTime(t time.Time) string { return t.UTC().Format(orderTimeLayout) }

// missingLast stands for a value a contract lacks in a listing's sort
// key: "~" sorts after every digit, so such contracts come after those
// with a date or a price list in ascending order.
const missingLast = "~"

func optionalOrderTime(t *time.Time) string {
	if t == nil {
		return missingLast
	}
	return orderTime(*t)
}

// The listings' sort keys end in the contract number, which breaks ties as
// contract.OrderedQuery.Compare does.
func updatedAtGSI3SK(c *contract.Contract) string { return orderTime(c.UpdatedAt) + "#" + c.Number }
func validFromGSI5SK(c *contract.Contract) string {
	return optionalOrderTime(c.ValidFrom) + "#" + c.Number
}
func validToGSI6SK(c *contract.Contract) string { return optionalOrderTime(c.ValidTo) + "#" + c.Number }

// referenceGSI4SK is the reference alone, behind a letter because a key
// cannot be empty: references are unique within a party, so nothing ties,
// and a number after it would break byte order ("a#…" sorts after "a!").
func referenceGSI4SK(c *contract.Contract) string { return "R" + c.Reference }

// priceListGSI7SK writes the price list id with its sign bit flipped, as
// twenty digits, so every int64 sorts by its text.
func priceListGSI7SK(c *contract.Contract) string {
	if c.PriceList == nil {
		return missingLast + "#" + c.Number
	}
	return fmt.Sprintf("%020d", uint64(c.PriceList.PriceListID)^(1<<63)) + "#" + c.Number
}

// periodBounds are the BETWEEN bounds of a GSI5SK or GSI6SK within p:
// every key of an instant in p, whatever its number ("$" sorts after
// "#").
func periodBounds(p *contract.Period) (lo, hi string) {
	return orderTime(p.From), orderTime(p.To) + "$"
}
