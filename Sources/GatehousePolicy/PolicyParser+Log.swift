import GatehouseCore

extension PolicyParser {
    /// A policy's `log` section: `claims`, the token claims (dotted paths such as
    /// `realm_access.roles`) its decision records keep. None by default: a record names the
    /// caller by issuer, subject, SPIFFE ID and X-Road client only.
    mutating func logClaims(_ node: YAMLNode) -> [ClaimPath] {
        guard let entries = self.reader.mapping(node, allowed: ["claims"], what: "log"),
            let claims = entries["claims"],
            let items = self.reader.list(claims, what: "log.claims", scalarAllowed: true)
        else { return [] }
        var paths: [ClaimPath] = []
        for item in items {
            guard let text = self.reader.string(item, what: "Each entry of log.claims") else { continue }
            guard let path = ClaimPath(text) else {
                self.reader.diagnostics.error(
                    .invalidValue,
                    "The claim path '\(text)' in log.claims has an empty part; write e.g. 'department' or 'realm_access.roles'.",
                    at: item.location)
                continue
            }
            guard !paths.contains(path) else {
                self.reader.diagnostics.error(
                    .duplicateKey, "log.claims lists '\(text)' twice; remove one.", at: item.location)
                continue
            }
            paths.append(path)
        }
        return paths
    }
}
