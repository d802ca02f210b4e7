package ddb

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

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
//	counter      TENANT#<tenant>          COUNTER#<sequence>     -                               -
//	contract     TENANT#<tenant>          CONTRACT#<number>      TENANT#<t>#ID#<id> / CONTRACT   TENANT#<t>#PARTY#<kind>#<party> / CONTRACT#<number>
//	contract id  TENANT#<tenant>          ID#<id>                -                               -
//	reference    TENANT#<tenant>          REF#<kind>#<party>#<reference>  -                      -
//	plan         TENANT#<tenant>          PLAN#<plan>            -                               -
//	customer     TENANT#<tenant>          CUSTOMER#<id>          -                               -
//	external id  TENANT#<tenant>          CUSTOMER-EXTERNAL#<externalId>  -                      -
//	action       TENANT#<tenant>          ACTION#<number>        -                               -
//	delivery     TENANT#<tenant>          DEDUPE#<source>:<id>   -                               -   (expires)
//	idempotency  TENANT#<tenant>          IDEMPOTENCY#<key>      -                               -   (expires)
//	published    TENANT#<tenant>          PUBLISHED#<event id>   -                               -   (expires)
//	pay account  TENANT#<tenant>          PAYMENT-ACCOUNT#<id>   -                               TENANT#<t>#PAYMENT-ACCOUNTS#<customer> / PAYMENT-ACCOUNT#<createdAt>#<id>
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
//	create with a reference     the same transaction, plus the reference item (attribute_not_exists)
//	contract by reference       GetItem reference item, then GetItem contract
//	contract by public id       Query GSI1 (one item); on a miss, GetItem id item then GetItem
//	                            contract, both strongly consistent, so a read right after a
//	                            create never misses while the index catches up
//	list a tenant's contracts   Query PK = TENANT#<t>, begins_with(SK, "CONTRACT#")
//	list contracts of a party   Query GSI2 on the party's partition
//	update a contract           PutItem with version = :read (optimistic lock)
//	a tenant's plan catalog     GetItem / BatchGetItem plan
//	create a customer           PutItem customer + external id item in one transaction
//	  (or inside a contract's create transaction, with its payment account)
//	new pay account of a        inside the contract's transaction, an Update ADD of the
//	  customer that exists      customer's paymentAccounts, on the condition that it
//	                            stays within contract.MaxPaymentAccounts
//	customer, payment account   GetItem
//	what a contract names       BatchGetItem of its customer, payment account and plans (Aira's answer)
//	a customer's pay accounts   Query GSI2 on the customer's payment-account partition
//	next action number          UpdateItem ADD on the tenant's action counter
//	apply contract actions      TransactWriteItems: the action record, new contracts with their
//	                            id items, changed contracts with version = :read
//	action by number            GetItem action
//	apply a delivery once       the same transaction, plus its delivery item (attribute_not_exists)
//	keep a keyed write's answer a Put of the key's item, answer included, inside the request's
//	                            write transaction, if the key is free (never used, or expired); a
//	                            taken key's record comes back with the refusal
//	                            (ReturnValuesOnConditionCheckFailure)
//	keep a keyed refusal        PutItem of the key's item, on the same condition
//	contract events put already BatchGetItem of their published items (consistent); the events
//	                            of a stream batch once put, BatchWriteItem of their items
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
	// attrTTL names the attribute DynamoDB's time to live reads (epoch
	// seconds); items without it never expire.
	attrTTL = "expiresAt"
)

// Index names.
const (
	indexByID    = "GSI1"
	indexByParty = "GSI2"
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
