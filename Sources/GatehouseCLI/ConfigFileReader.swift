import Foundation
import GatehouseCore
import GatehouseGRPC
import Yams

/// Reads `gatehouse.yaml`, reporting each problem as `file:line:col: what and how to fix it`.
struct ConfigFileReader {
    let path: String
    var problems: [String] = []

    init(path: String) { self.path = path }

    mutating func read(into configuration: inout ServeConfiguration) throws {
        guard let text = try? String(contentsOfFile: self.path, encoding: .utf8) else {
            throw ConfigurationError(
                code: .unreadableFile, problems: ["\(self.path): the file cannot be read as UTF-8 text."])
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(code: .unreadableFile, problems: ["\(self.path): not valid YAML: \(error)"])
        }
        guard let root, let top = self.mapping(root, allowed: ServeConfiguration.keys, what: "the configuration") else {
            return
        }
        if let node = top["policies"], let value = self.path(node, "policies") { configuration.policies = value }
        if let node = top["shutdownGracePeriod"], let value = self.duration(node, "shutdownGracePeriod") {
            configuration.grpc.shutdownGracePeriod = value
        }
        if let node = top["log"], let log = self.mapping(node, allowed: ["level"], what: "log"),
            let levelNode = log["level"], let level = self.string(levelNode, "log.level")
        {
            var levelProblems: [String] = []
            ServeConfiguration.level(
                level, source: self.at(levelNode) + "log.level", into: &configuration, problems: &levelProblems)
            self.problems += levelProblems
        }
        if let node = top["grpc"] { self.readGRPC(node, into: &configuration.grpc) }
        if let node = top["cache"] { self.readCache(node, into: &configuration.cache) }
    }

    private mutating func readGRPC(_ node: Node, into grpc: inout GRPCServerConfiguration) {
        let keys = [
            "listeners", "maxConcurrentStreams", "maxRequestBytes", "keepaliveTime", "keepaliveTimeout",
            "flushCoalescingDelay", "eventLoopThreads", "transport",
        ]
        guard let entries = self.mapping(node, allowed: keys, what: "grpc") else { return }
        if let value = entries["maxConcurrentStreams"].flatMap({
            self.integer($0, "grpc.maxConcurrentStreams", 1...1_000_000)
        }) {
            grpc.maxConcurrentStreams = value
        }
        if let value = entries["maxRequestBytes"].flatMap({
            self.integer($0, "grpc.maxRequestBytes", 1024...(256 << 20))
        }) {
            grpc.maxRequestBytes = value
        }
        if let value = entries["keepaliveTime"].flatMap({ self.duration($0, "grpc.keepaliveTime") }) {
            grpc.keepaliveTime = value
        }
        if let value = entries["keepaliveTimeout"].flatMap({ self.duration($0, "grpc.keepaliveTimeout") }) {
            grpc.keepaliveTimeout = value
        }
        if let value = entries["eventLoopThreads"].flatMap({ self.integer($0, "grpc.eventLoopThreads", 1...256) }) {
            grpc.eventLoopThreads = value
        }
        if let node = entries["flushCoalescingDelay"], let value = self.duration(node, "grpc.flushCoalescingDelay") {
            grpc.flushCoalescingDelay = value == .zero ? nil : value
        }
        if let node = entries["transport"], let text = self.string(node, "grpc.transport") {
            if let transport = GRPCServerConfiguration.Transport(rawValue: text) {
                grpc.transport = transport
            } else {
                self.problems.append(
                    "\(self.at(node))grpc.transport '\(text)' is not a transport; use grpc-swift or direct.")
            }
        }
        guard let listenersNode = entries["listeners"] else { return }
        guard case .sequence(let items) = listenersNode else {
            self.problems.append("\(self.at(listenersNode))grpc.listeners must be a list.")
            return
        }
        grpc.listeners = items.compactMap { self.listener($0) }
    }

    private mutating func listener(_ node: Node) -> ListenerConfiguration? {
        guard let entries = self.mapping(node, allowed: ["address", "tls"], what: "a listener") else { return nil }
        guard let addressNode = entries["address"] else {
            self.problems.append("\(self.at(node))a listener needs 'address'.")
            return nil
        }
        guard let text = self.string(addressNode, "address"), let address = ListenerConfiguration.Address(text) else {
            self.problems.append(
                "\(self.at(addressNode))'\(addressNode.string ?? "")' is not an address; write HOST:PORT, [V6]:PORT or unix:PATH."
            )
            return nil
        }
        guard let tlsNode = entries["tls"] else { return ListenerConfiguration(address: address) }
        guard
            let tls = self.mapping(
                tlsNode, allowed: ["certificate", "key", "clientCA", "allowedClients"], what: "tls"),
            let certificate = tls["certificate"].flatMap({ self.path($0, "tls.certificate") }),
            let key = tls["key"].flatMap({ self.path($0, "tls.key") })
        else {
            self.problems.append("\(self.at(tlsNode))tls needs 'certificate' and 'key'.")
            return nil
        }
        guard let caNode = tls["clientCA"] else {
            if tls["allowedClients"] != nil {
                self.problems.append("\(self.at(tlsNode))allowedClients needs clientCA (mTLS).")
            }
            return ListenerConfiguration(
                address: address, security: .tls(certificateChain: certificate, privateKey: key))
        }
        guard let clientCA = self.path(caNode, "tls.clientCA") else { return nil }
        var callers = CallerPolicy.anyCaller
        if let allowedNode = tls["allowedClients"],
            let allowed = self.mapping(allowedNode, allowed: ["spiffeIds", "subjects"], what: "allowedClients")
        {
            callers.spiffeIDs = allowed["spiffeIds"].map { self.strings($0, "allowedClients.spiffeIds") } ?? []
            callers.subjects = allowed["subjects"].map { self.strings($0, "allowedClients.subjects") } ?? []
        }
        return ListenerConfiguration(
            address: address,
            security: .mutualTLS(certificateChain: certificate, privateKey: key, clientCA: clientCA, callers: callers))
    }

    // MARK: Typed reads

    func at(_ node: Node) -> String {
        "\(self.path):\(node.mark?.line ?? 1):\(node.mark?.column ?? 1): "
    }

    mutating func mapping(_ node: Node, allowed: [String], what: String) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            self.problems.append("\(self.at(node))\(what) must be a mapping.")
            return nil
        }
        var entries: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = key.string, allowed.contains(name) else {
                self.problems.append(
                    "\(self.at(key))\(what) has no key '\(key.string ?? "?")'; allowed: \(allowed.joined(separator: ", "))."
                )
                continue
            }
            entries[name] = value
        }
        return entries
    }

    mutating func string(_ node: Node, _ key: String) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
            self.problems.append("\(self.at(node))\(key) must be a non-empty string.")
            return nil
        }
        return scalar.string
    }

    /// A file path, resolved against the configuration file's directory.
    private mutating func path(_ node: Node, _ key: String) -> String? {
        guard let value = self.string(node, key) else { return nil }
        if value.hasPrefix("/") { return value }
        let directory = (self.path as NSString).deletingLastPathComponent
        return directory.isEmpty ? value : directory + "/" + value
    }

    private mutating func strings(_ node: Node, _ key: String) -> [String] {
        guard case .sequence(let items) = node else {
            self.problems.append("\(self.at(node))\(key) must be a list.")
            return []
        }
        return items.compactMap { self.string($0, key) }
    }

    mutating func integer(_ node: Node, _ key: String, _ range: ClosedRange<Int>) -> Int? {
        guard let value = node.int, range.contains(value) else {
            self.problems.append(
                "\(self.at(node))\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound).")
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node, _ key: String) -> Duration? {
        let text = node.string ?? ""
        guard let duration = DurationText.parse(text, maximum: .seconds(86_400)) else {
            self.problems.append("\(self.at(node))\(key) '\(text)' is not a duration; write e.g. 500ms, 10s or 2m.")
            return nil
        }
        return duration
    }
}
