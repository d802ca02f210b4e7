// Package contractevents publishes every change of a contract as a domain
// event on the stack's EventBridge bus: ContractEventsFunction, fed by
// the table's DynamoDB stream.
//
// Each stream record of a contract item (its type attribute says so)
// becomes one event, whichever API made the change: ContractCreated,
// ContractUpdated, ContractCanceled, ContractDeleted or
// ContractResurrected; records of every other item publish nothing. The
// event's detail is one versioned shape (Detail, SchemaVersion), which
// infra/contract-event.schema.json describes and the stack registers in
// its schema registry.
//
// Delivery is at least once and in order per contract: records are taken
// in the order of their shard, which keeps the order of a key; a PutEvents
// call carries at most one event of a contract; the first record that
// cannot be published is reported as the batch's failure (Lambda hands it
// and those after it over again) and nothing after it is put. A failed
// entry of a PutEvents answer is put again alone. Each event's id is
// derived from its contract, version and type, and the events put are
// recorded in the table, so a record handed over again publishes nothing
// twice; a consumer drops what still comes twice by the id.
package contractevents
