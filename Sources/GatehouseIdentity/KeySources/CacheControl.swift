/// The freshness a `Cache-Control` header grants a fetched key set.
package enum CacheControl {
    /// `max-age` in seconds; `0` for `no-cache`/`no-store`; `nil` when the header says nothing usable.
    package static func maximumAge(_ header: String?) -> Int64? {
        guard let header else { return nil }
        var result: Int64?
        for directive in header.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map {
                $0.trimmingPrefix(while: \.isWhitespace)
            }
            let name = String(parts[0]).lowercased().filter { !$0.isWhitespace }
            switch name {
            case "no-cache", "no-store": return 0
            case "max-age", "s-maxage":
                guard parts.count == 2 else { continue }
                let value = parts[1].filter { !$0.isWhitespace && $0 != "\"" }
                if let seconds = Int64(value), seconds >= 0 { result = min(result ?? .max, seconds) }
            default: continue
            }
        }
        return result
    }
}
