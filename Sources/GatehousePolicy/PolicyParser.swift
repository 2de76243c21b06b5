import GatehouseCore

/// What the schema stage read from one file.
struct ParsedFile {
    var policies: [PolicyDocument] = []
    var groups: [GroupDocument] = []
    var tests: [PolicyTestCase] = []
}

/// The schema stage: YAML nodes → documents, reporting unknown keys, wrong types and bad values.
struct PolicyParser {
    var reader = NodeReader()
    let isTestFile: Bool
    /// Whether referenced files (JWKS, trust bundles, CRLs) must exist; off for in-memory sources.
    let checksFiles: Bool
    /// Above this many rules, a policy's rules are read in chunks of this size on all cores.
    let rulesPerChunk: Int
    /// Rules read while the YAML was composed (``RuleStream``), by document index: the chunks of
    /// a document whose `rules` sequence the composer handed out and left empty in its tree.
    var streamedRules: [Int: [RuleStream.Chunk]] = [:]

    init(isTestFile: Bool, checksFiles: Bool, rulesPerChunk: Int = PolicyCompiler.rulesPerChunk) {
        self.isTestFile = isTestFile
        self.checksFiles = checksFiles
        self.rulesPerChunk = rulesPerChunk
    }

    static let policyKeys = [
        "kind", "name", "description", "select", "authentication", "rules", "response", "cache", "log",
    ]

    mutating func parse(documents: [YAMLNode]) -> ParsedFile {
        var file = ParsedFile()
        for (index, document) in documents.enumerated() where !document.isNull {
            let kindKeys = ["kind"]
            guard case .mapping(let pairs) = document.content else {
                self.reader.diagnostics.error(
                    .typeError, "A document must be a mapping with a 'kind', not \(document.typeName).",
                    at: document.location)
                continue
            }
            let kind = pairs.first { $0.key.scalarText == kindKeys[0] }?.value
            switch kind?.scalarText {
            case "Policy" where !self.isTestFile:
                if let policy = self.policy(document, streamedRules: self.streamedRules[index]) {
                    file.policies.append(policy)
                }
            case "Group" where !self.isTestFile:
                if let group = self.group(document) { file.groups.append(group) }
            case "PolicyTests" where self.isTestFile:
                file.tests += self.tests(document)
            default:
                let found = kind?.scalarText.map { "'\($0)'" } ?? "no kind"
                let expected =
                    self.isTestFile
                    ? "Files named *_test.yaml hold 'kind: PolicyTests'"
                    : "Policy files hold 'kind: Policy' or 'kind: Group' (tests go in *_test.yaml files)"
                self.reader.diagnostics.error(
                    .unknownKind, "The document has \(found). \(expected).", at: kind?.location ?? document.location)
            }
        }
        return file
    }

    // MARK: Policy

    private mutating func policy(_ node: YAMLNode, streamedRules: [RuleStream.Chunk]?) -> PolicyDocument? {
        guard let entries = self.reader.mapping(node, allowed: Self.policyKeys, what: "A policy") else { return nil }
        guard let nameNode = self.reader.require("name", in: entries, of: node, what: "A policy"),
            let name = self.name(nameNode, what: "The policy name")
        else { return nil }
        var policy = PolicyDocument(
            name: name, description: entries["description"].flatMap { self.reader.string($0, what: "description") },
            location: node.location, select: nil, authentication: nil, rules: [], response: ResponseDocument(),
            cache: PolicyCacheSettings())
        if let select = entries["select"] { policy.select = self.selector(select) }
        if let authentication = entries["authentication"] {
            policy.authentication = self.authentication(authentication)
        }
        if let rules = entries["rules"], let items = self.reader.list(rules, what: "rules") {
            // A streamed `rules` is a sequence (left empty in the tree) read chunk by chunk already.
            policy.rules = streamedRules.map { self.merge($0) } ?? self.rules(items)
        }
        if let response = entries["response"] { policy.response = self.response(response) }
        if let cache = entries["cache"] { policy.cache = self.cacheSettings(cache) }
        if let log = entries["log"] { policy.logClaims = self.logClaims(log) }
        return policy
    }

    /// The rules of one policy, read on all cores when there are more than ``rulesPerChunk``.
    ///
    /// Each chunk gets a parser of its own (a rule reads nothing but its own node), and the
    /// chunks' diagnostics are appended in the chunks' order: the same list a serial read gives.
    private mutating func rules(_ items: [YAMLNode]) -> [RuleDocument] {
        guard items.count > self.rulesPerChunk else { return items.compactMap { self.rule($0) } }
        let (isTestFile, checksFiles) = (self.isTestFile, self.checksFiles)
        let chunks = PolicyCompiler.concurrentChunks(items.count, chunkSize: self.rulesPerChunk) { range in
            Self.chunk(items[range], isTestFile: isTestFile, checksFiles: checksFiles)
        }
        return self.merge(chunks)
    }

    /// One chunk of rules read by a parser of its own.
    static func chunk(
        _ items: ArraySlice<YAMLNode>, isTestFile: Bool, checksFiles: Bool
    ) -> RuleStream.Chunk {
        var parser = PolicyParser(isTestFile: isTestFile, checksFiles: checksFiles)
        let rules = items.compactMap { parser.rule($0) }
        return RuleStream.Chunk(rules: rules, diagnostics: parser.reader.diagnostics)
    }

    /// The chunks' rules in order, their diagnostics appended in order.
    private mutating func merge(_ chunks: [RuleStream.Chunk]) -> [RuleDocument] {
        var rules: [RuleDocument] = []
        rules.reserveCapacity(chunks.reduce(0) { $0 + $1.rules.count })
        for chunk in chunks {
            rules += chunk.rules
            self.reader.diagnostics.append(contentsOf: chunk.diagnostics)
        }
        return rules
    }

    /// A name: letters, digits, `-`, `_`, `.`, starting with a letter or digit, at most 128 bytes.
    mutating func name(_ node: YAMLNode, what: String) -> Located<String>? {
        guard let text = self.reader.string(node, what: what) else { return nil }
        let isNameByte = { (byte: UInt8) in
            (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || byte == 45
                || byte == 95 || byte == 46
        }
        let valid =
            !text.isEmpty && text.utf8.count <= 128 && text.utf8.allSatisfy(isNameByte)
            && text.utf8.first.map { isNameByte($0) && $0 != 45 && $0 != 95 && $0 != 46 } == true
        guard valid else {
            self.reader.diagnostics.error(
                .invalidValue,
                "\(what) '\(text)' may hold only letters, digits, '-', '_' and '.', must start with a letter or digit and be at most 128 characters; rename it.",
                at: node.location)
            return nil
        }
        return Located(text, at: node.location)
    }

    private mutating func selector(_ node: YAMLNode) -> SelectorDocument? {
        guard let entries = self.reader.mapping(node, allowed: ["hosts", "contextExtensions"], what: "select") else {
            return nil
        }
        var selector = SelectorDocument(hosts: [], contextExtensions: [], location: node.location)
        if let hosts = entries["hosts"], let values = self.reader.strings(hosts, what: "select.hosts") {
            selector.hosts = values.compactMap { self.hostPattern($0.0, at: $0.1) }
        }
        if let extensions = entries["contextExtensions"], case .mapping(let pairs) = extensions.content {
            for (key, value) in pairs {
                guard let keyText = self.reader.string(key, what: "A context extension key"),
                    let values = self.reader.strings(
                        value, what: "The values of context extension '\(key.scalarText ?? "")'")
                else { continue }
                selector.contextExtensions.append(
                    Located(.init(key: keyText, values: values.map(\.0)), at: key.location))
            }
        } else if let extensions = entries["contextExtensions"] {
            self.reader.diagnostics.error(
                .typeError,
                "select.contextExtensions must be a mapping of key to value(s), not \(extensions.typeName).",
                at: extensions.location)
        }
        return selector
    }

    mutating func hostPattern(_ text: String, at location: SourceLocation) -> Located<HostPattern>? {
        guard let pattern = HostPattern(text) else {
            self.reader.diagnostics.error(
                .badPattern, "The host pattern '\(text)' is not valid; write a host name, '*.suffix' or '*'.",
                at: location)
            return nil
        }
        return Located(pattern, at: location)
    }

    // MARK: Group

    private mutating func group(_ node: YAMLNode) -> GroupDocument? {
        guard
            let entries = self.reader.mapping(
                node, allowed: ["kind", "name", "description", "members"], what: "A group"),
            let nameNode = self.reader.require("name", in: entries, of: node, what: "A group"),
            let name = self.name(nameNode, what: "The group name"),
            let membersNode = self.reader.require("members", in: entries, of: node, what: "A group"),
            let members = self.reader.mapping(
                membersNode, allowed: ["spiffeIds", "xroadClients", "groups"], what: "A group's members")
        else { return nil }
        var group = GroupDocument(
            name: name, description: entries["description"].flatMap { self.reader.string($0, what: "description") },
            patterns: [], groups: [], location: node.location)
        if let spiffe = members["spiffeIds"] {
            group.patterns += self.principals(spiffe, what: "members.spiffeIds", parse: PrincipalPattern.spiffe) ?? []
        }
        if let xroad = members["xroadClients"] {
            group.patterns += self.principals(xroad, what: "members.xroadClients", parse: PrincipalPattern.xroad) ?? []
        }
        if let groups = members["groups"], let names = self.reader.strings(groups, what: "members.groups") {
            group.groups = names.map { Located($0.0, at: $0.1) }
        }
        if members.isEmpty {
            self.reader.diagnostics.error(
                .emptyRule, "The group '\(name.value)' has no members; list spiffeIds, xroadClients or groups.",
                at: membersNode.location)
        }
        return group
    }

    mutating func principals(_ node: YAMLNode, what: String, parse: (String) -> PrincipalPattern?)
        -> [PrincipalPattern]?
    {
        guard let values = self.reader.strings(node, what: what, emptyCode: .emptyRule) else { return nil }
        var patterns: [PrincipalPattern] = []
        for (text, location) in values {
            guard let pattern = parse(text) else {
                let form =
                    what.contains("spiffe")
                    ? "a SPIFFE ID such as 'spiffe://gov.example/ns/health/sa/api', optionally ending in '*'"
                    : "an X-Road client INSTANCE/CLASS/CODE[/SUBSYSTEM] with '*' for whole parts"
                self.reader.diagnostics.error(
                    .badPattern, "The pattern '\(text)' in \(what) is not valid; write \(form).", at: location)
                continue
            }
            patterns.append(pattern)
        }
        return patterns.count == values.count ? patterns : nil
    }
}
