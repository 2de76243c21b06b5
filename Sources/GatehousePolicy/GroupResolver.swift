import GatehouseCore

/// Flattens `kind: Group` documents into principal patterns, reporting unknown and circular groups.
struct GroupResolver {
    private let groups: [String: GroupDocument]
    private var resolved: [String: [PrincipalPattern]] = [:]
    /// Groups already reported as circular or broken, so each problem is reported once.
    private var failed: Set<String> = []
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
                let hint =
                    NodeReader.closest(to: name.value, in: Array(self.groups.keys)).map { " Did you mean '\($0)'?" }
                    ?? ""
                self.diagnostics.error(
                    .unknownGroup,
                    "The group '\(name.value)' does not exist; declare it in a 'kind: Group' document.\(hint)",
                    at: name.location)
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

    /// Resolves every group, so cycles and unknown members are reported even in groups no rule uses.
    mutating func resolveAll() {
        let usedByRules = self.used
        for name in self.groups.keys.sorted() { _ = self.resolve(name, stack: []) }
        self.used = usedByRules
    }

    private mutating func resolve(_ name: String, stack: [String]) -> [PrincipalPattern]? {
        self.used.insert(name)
        if let done = self.resolved[name] { return done }
        if self.failed.contains(name) { return nil }
        guard let group = self.groups[name] else { return nil }
        if stack.contains(name) { return nil }
        var patterns = group.patterns
        var isComplete = true
        // Check every member, so one broken membership does not hide the next.
        for member in group.groups {
            if stack.contains(member.value) || member.value == name {
                let cycle = (stack.drop { $0 != member.value } + [name, member.value]).joined(separator: " → ")
                self.diagnostics.error(
                    .circularGroup, "The groups form a cycle: \(cycle); remove one membership.", at: member.location)
                isComplete = false
            } else if self.groups[member.value] == nil {
                self.diagnostics.error(
                    .unknownGroup, "The group '\(name)' includes '\(member.value)', which does not exist.",
                    at: member.location)
                isComplete = false
            } else if let nested = self.resolve(member.value, stack: stack + [name]) {
                patterns += nested
            } else {
                isComplete = false
            }
        }
        guard isComplete else {
            self.failed.insert(name)
            return nil
        }
        self.resolved[name] = patterns
        return patterns
    }
}
