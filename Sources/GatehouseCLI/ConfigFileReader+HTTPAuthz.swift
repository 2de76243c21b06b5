import GatehouseGRPC
import GatehouseHTTPAuthz
import Yams

/// The `httpAuthz.*` settings whose values are lists of mappings.
extension ConfigFileReader {
    /// `httpAuthz.routes`: `{prefix, contextExtensions}` mappings; each prefix as Envoy's
    /// `path_prefix` writes it (`/ext-authz/civil-registry`), each listed once.
    mutating func httpRoutes(_ node: Node, key: String) -> [PathPrefixRoute] {
        var routes: [PathPrefixRoute] = []
        for (item, itemKey) in self.items(node, key: key) {
            guard let entries = self.mapping(item, allowed: ["prefix", "contextExtensions"], what: itemKey) else {
                continue
            }
            guard let prefixNode = entries["prefix"], let prefix = self.value(prefixNode, "\(itemKey).prefix", .string)
            else {
                self.problems.append("\(self.at(item))\(itemKey) needs 'prefix'.")
                continue
            }
            guard PathPrefixRoute.isValid(prefix: prefix) else {
                self.problems.append(
                    "\(self.at(prefixNode))\(itemKey).prefix: '\(prefix)' is not a path prefix Envoy sends; write it as http_service.path_prefix does: starting with '/', without a trailing '/', '?', '%' or dot segments."
                )
                continue
            }
            if routes.contains(where: { $0.prefix == prefix }) {
                self.problems.append("\(self.at(prefixNode))\(itemKey).prefix: '\(prefix)' is listed twice.")
                continue
            }
            var extensions: [String: String] = [:]
            if let extensionsNode = entries["contextExtensions"] {
                guard case .mapping(let pairs) = extensionsNode else {
                    self.problems.append(
                        "\(self.at(extensionsNode))\(itemKey).contextExtensions must be a mapping of key to value.")
                    continue
                }
                for (name, value) in pairs {
                    guard let name = name.string, let value = value.string else {
                        self.problems.append(
                            "\(self.at(value))\(itemKey).contextExtensions: each key and value must be a string.")
                        continue
                    }
                    extensions[name] = value
                }
            }
            routes.append(PathPrefixRoute(prefix: prefix, contextExtensions: extensions))
        }
        return routes
    }
}

extension SettingParser where Value == [PathPrefixRoute] {
    /// Only the file sets routes (a list of mappings read by `ConfigFileReader.httpRoutes`).
    static let httpRoutes = SettingParser(
        type: "list of {prefix, contextExtensions}", expected: "a list of {prefix, contextExtensions} mappings",
        parse: { _, _ in nil }, format: { $0.isEmpty ? "[]" : "\($0.count) routes" })
}
