/**
 * Amazon DynamoDB handlers: tables (table-operations.ts) and items (item-operations.ts), on the
 * storage of table-store.ts and the expression library in expressions/.
 *
 * ## Gaps
 * - Transaction conflicts follow AWS's rules over the window from a request's validation to its
 *   durable commit (in-flight.ts): PutItem/UpdateItem/DeleteItem on an item an ongoing
 *   TransactWriteItems holds get TransactionConflictException, a TransactWriteItems meeting
 *   another is cancelled (TransactionConflict), and so is a TransactGetItems of an item being
 *   written. The writes themselves are serialised (group-committed SQLite transactions), so
 *   AWS's other sources of conflict (interleaved multi-item work) never arise. PartiQL's
 *   ExecuteTransaction and BatchWriteItem are not refused by them.
 * - Eventually consistent Query and Scan are always current; only GetItem / BatchGetItem honour
 *   the stale-read window (stale-reads.ts).
 * - Throttling is per table (reads and writes); GSI write capacity is reported in
 *   ConsumedCapacity but GSIs have no buckets of their own. Buckets live in memory.
 * - ItemCollectionMetrics.SizeEstimateRangeGB is always [0, 1]; the 10 GB item collection limit
 *   of tables with LSIs is not enforced.
 * - BatchWriteItem and BatchGetItem never leave unprocessed items for throttling; BatchGetItem
 *   returns UnprocessedKeys only past 16 MB.
 * - Index sizes in DescribeTable are estimated from the table's average item size.
 * - Parallel scan segments hash the partition key; every segment reads the whole table.
 * - Contributor Insights, Kinesis streaming destinations, imports/exports, resource policies
 *   answer 501.
 * - AWS/DynamoDB metrics (metrics.ts) cover consumed capacity per table, throttle events,
 *   ThrottledRequests / SuccessfulRequestLatency / SystemErrors / ReturnedItemCount per operation,
 *   ConditionalCheckFailedRequests, TransactionConflict and UserErrors. Not published: the
 *   GlobalSecondaryIndexName dimension, Provisioned*CapacityUnits, AccountMax*, ReplicationLatency,
 *   TimeToLiveDeletedItemCount, OnlineIndex*, PartiQL operations; UserErrors misses requests
 *   refused before a handler runs (signature, IAM, missing required members).
 *
 * ## By design
 * - Tables and new GSIs are ACTIVE as soon as the call returns (CreateTable's own answer says
 *   CREATING, as AWS's does; the first DescribeTable says ACTIVE), so SDK waiters and scripts
 *   that poll work without delay. GSIs created by UpdateTable are backfilled before UpdateTable
 *   answers.
 * - ItemCount and TableSizeBytes are exact and current (AWS refreshes them about every 6 hours).
 * - ClientRequestToken idempotency is remembered in memory for 10 minutes of the clock.
 *
 * ## Client quirks
 * - TableName accepts a table ARN as well as a name (current SDKs send either).
 */
import { itemHandlers } from "./item-operations.js";
import { tableHandlers } from "./table-operations.js";

export { itemHandlers, tableHandlers };
