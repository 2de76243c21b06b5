// The listener settings (`ListenerConfiguration`, `CallerPolicy`), the decision ids and the check
// pipeline moved to GatehouseFrontDoor so that the HTTP door shares them without importing this
// target; re-exported, so that what used them through GatehouseGRPC (the CLI, the tests) still sees them.
@_exported import GatehouseFrontDoor
