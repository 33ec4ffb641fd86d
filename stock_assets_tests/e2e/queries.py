"""The GraphQL the end-to-end tests send: the same calls the Dagster UI makes."""

LAUNCH_BACKFILL = """
mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) {
  __typename
  ... on LaunchBackfillSuccess { backfillId }
  ... on PythonError { message stack }
  ... on PartitionSetNotFoundError { message }
} }
"""

BACKFILL = """
query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status numPartitions partitionNames runs(limit: 100) { runId status tags { key value } } }
} }
"""

PARTITION_STATUS = """
query($key: AssetKeyInput!) { assetNodeOrError(assetKey: $key) { ... on AssetNode {
  partitionStats { numMaterialized numFailed numPartitions }
  assetPartitionStatuses { ... on TimePartitionStatuses { ranges { startKey endKey status } } }
} } }
"""

CHECK_EXECUTIONS = """
query($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 200) { runId status partition }
}
"""

SCHEDULE_DRY_RUN = """
mutation($s: ScheduleSelector!, $t: Float) { scheduleDryRun(selectorData: $s, timestamp: $t) {
  __typename
  ... on DryRunInstigationTick { evaluationResult {
    skipReason error { message } runRequests { runKey jobName tags { key value } }
  } }
  ... on PythonError { message }
} }
"""

SCHEDULE = """
query($s: ScheduleSelector!) { scheduleOrError(scheduleSelector: $s) { ... on Schedule {
  executionTimezone scheduleState { status } futureTicks(limit: 3) { results { timestamp } }
} } }
"""

START_SENSOR = """
mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) {
  __typename
  ... on Sensor { sensorState { status } }
  ... on PythonError { message }
} }
"""

STOP_SENSOR = """
mutation($id: String!, $sid: String!) { stopSensor(id: $id, jobSelectorId: $sid) { __typename } }
"""

SENSOR_TICKS = """
query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { ... on Sensor {
  id sensorState { id selectorId status ticks(limit: 5) { status timestamp skipReason runIds error { message } } }
} } }
"""

TERMINATE = """
mutation($id: String!) { terminateRun(runId: $id) {
  __typename
  ... on TerminateRunFailure { message }
  ... on PythonError { message }
} }
"""

RUN_LOGS = """
query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
  events { __typename ... on MessageEvent { message } }
} } }
"""

RUN_TAGS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status tags { key value } } } }"

RECENT_RUNS = "{ runsOrError(limit: 20) { ... on Runs { results { runId status tags { key value } } } } }"
