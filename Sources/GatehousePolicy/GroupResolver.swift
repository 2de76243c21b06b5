import GatehouseCore

/// Flattens `kind: Group` documents into principal patterns, reporting unknown and circular groups.
struct GroupResolver {
    private let groups: [String: GroupDocument]
    private var resolved: [String: [PrincipalPattern]] = [:]
    private(set) var diagnostics = DiagnosticBag()
    /// Groups reached from some rule, directly or through other groups.
    private(set) var used: Set<String> = []

    init(groups: [GroupDocument]) {
        var byName: [String: GroupDocument] = [:]
        for group in groups where byName[group.name.value] == nil { byName[group.name.value] = group }
        self.groups = byName
    }

    /// The patterns of the named groups, or `nil` (with a diagnostic) when one does not exist or is circular.
    mutating func patterns(of names: [Located<String>]) -> [PrincipalPattern]? {
        var patterns: [PrincipalPattern] = []
        var complete = true
        for name in names {
            guard self.groups[name.value] != nil else {
                let hint = NodeReader.closest(to: name.value, in: Array(self.groups.keys)).map { " Did you mean '\($0)'?" } ?? ""
                self.diagnostics.error(.unknownGroup, "The group '\(name.value)' does not exist; declare it in a 'kind: Group' document.\(hint)", at: name.location)
                complete = false
                continue
            }
            guard let resolved = self.resolve(name.value, stack: []) else {
                complete = false
                continue
            }
            patterns += resolved
        }
        return complete ? patterns : nil
    }

    private mutating func resolve(_ name: String, stack: [String]) -> [PrincipalPattern]? {
        self.used.insert(name)
        if let done = self.resolved[name] { return done }
        guard let group = self.groups[name] else { return nil }
        if stack.contains(name) { return nil }
        var patterns = group.patterns
        for member in group.groups {
            if stack.contains(member.value) || member.value == name {
                let cycle = (stack.drop { $0 != member.value } + [name, member.value]).joined(separator: " → ")
                self.diagnostics.error(.circularGroup, "The groups form a cycle: \(cycle); remove one membership.", at: member.location)
                return nil
            }
            guard self.groups[member.value] != nil else {
                self.diagnostics.error(.unknownGroup, "The group '\(name)' includes '\(member.value)', which does not exist.", at: member.location)
                return nil
            }
            guard let nested = self.resolve(member.value, stack: stack + [name]) else { return nil }
            patterns += nested
        }
        self.resolved[name] = patterns
        return patterns
    }
}
