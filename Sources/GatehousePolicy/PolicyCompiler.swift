package import GatehouseCore

/// Compiles a policy directory into a ``DecisionTree``, in named stages.
///
/// The stages are: parse (YAML with positions, after a lexical pre-scan for depth and aliases)
/// → schema (documents, unknown keys, types, values) → semantics (names, groups, selectors,
/// limits) → tree build → lint. Every stage reports into one list; nothing stops at the first
/// problem, and the result is sorted by location.
///
/// ```swift
/// let compiled = try PolicyCompiler.compile(directory: "policies")
/// print(compiled.tree.ruleCount, compiled.warnings.count)
/// let decision = compiled.tree.evaluate(request, identity: identity)
/// ```
package enum PolicyCompiler {
    /// The result of a compilation: the tree when there were no errors, and every diagnostic.
    package struct Result: Sendable {
        /// The compiled set, or `nil` when an error was found.
        package var compiled: CompiledPolicySet?
        /// Errors and warnings, sorted by location.
        package var diagnostics: [Diagnostic]

        /// The errors only.
        package var errors: [Diagnostic] { self.diagnostics.filter { $0.severity == .error } }
    }

    /// Reads and compiles every policy file below `directory`.
    ///
    /// - Throws: ``PolicyError`` when the directory cannot be read or any policy has an error.
    package static func compile(directory: String) throws(PolicyError) -> CompiledPolicySet {
        let result = try self.diagnose(directory: directory)
        guard let compiled = result.compiled else {
            let errors = result.errors
            throw PolicyError(
                code: .compilationFailed,
                message:
                    "The policies in '\(directory)' have \(errors.count) error\(errors.count == 1 ? "" : "s"); the first: \(errors.first?.description ?? "?")",
                diagnostics: result.diagnostics)
        }
        return compiled
    }

    /// Reads and compiles every policy file below `directory`, returning diagnostics rather than throwing for policy errors.
    ///
    /// - Throws: ``PolicyError`` only when the directory itself cannot be read.
    package static func diagnose(directory: String) throws(PolicyError) -> Result {
        let (sources, readProblems) = try PolicySource.load(directory: directory)
        var result = self.compile(sources: sources, checksFiles: true)
        if !readProblems.isEmpty {
            result.diagnostics = (result.diagnostics + readProblems).sorted()
            result.compiled = nil
        }
        return result
    }

    /// Compiles in-memory sources.
    ///
    /// - Parameters:
    ///   - checksFiles: Whether files the policies reference (JWKS, trust bundles) must exist.
    ///   - rulesPerChunk: Above this many rules, one policy's rules are read and linted in chunks
    ///     of this size on all cores; the result does not depend on it (tests compare chunked
    ///     with serial).
    package static func compile(
        sources: [PolicySource], checksFiles: Bool = false, rulesPerChunk: Int = Self.rulesPerChunk
    ) -> Result {
        var bag = DiagnosticBag()
        var policies: [PolicyDocument] = []
        var groups: [GroupDocument] = []
        var tests: [PolicyTestCase] = []
        for file in self.parseFiles(sources, checksFiles: checksFiles, rulesPerChunk: rulesPerChunk) {
            for diagnostic in file.errors { bag.error(diagnostic.code, diagnostic.message, at: diagnostic.location) }
            policies += file.parsed.policies
            groups += file.parsed.groups
            tests += file.parsed.tests
        }
        PolicySemantics.check(policies: policies, groups: groups, tests: tests, into: &bag)
        var resolver = GroupResolver(groups: groups)
        var compiled: [(CompiledPolicy, PolicyDocument)] = []
        for policy in policies.sorted(by: { $0.name.value < $1.name.value }) {
            compiled.append(
                (PolicyBuilder.compile(policy, groups: &resolver, rulesPerChunk: rulesPerChunk), policy))
        }
        resolver.resolveAll()
        for diagnostic in resolver.diagnostics.items {
            bag.error(diagnostic.code, diagnostic.message, at: diagnostic.location)
        }
        for group in groups where !resolver.used.contains(group.name.value) {
            bag.warning(
                .unusedGroup, "The group '\(group.name.value)' is not used by any rule; remove it or reference it.",
                at: group.location)
        }
        guard !bag.hasErrors else { return Result(compiled: nil, diagnostics: Array(Set(bag.items)).sorted()) }
        // Lint only what compiled: advice about a broken rule would only distract from its error.
        for warnings in self.lint(compiled, rulesPerChunk: rulesPerChunk) { bag.append(contentsOf: warnings) }
        let diagnostics = Array(Set(bag.items)).sorted()
        let tree = DecisionTree(revision: PolicySource.revision(of: sources), policies: compiled.map(\.0))
        let set = CompiledPolicySet(
            tree: tree, documents: policies, authentication: compiled.map(\.1.authentication), tests: tests,
            warnings: diagnostics)
        return Result(compiled: set, diagnostics: diagnostics)
    }
}

/// A compiled policy directory: the tree, the documents it came from, and its tests.
package struct CompiledPolicySet: Sendable {
    /// The decision tree.
    package var tree: DecisionTree
    /// The policy documents.
    package var documents: [PolicyDocument]
    /// Each policy's authentication settings, indexed like ``DecisionTree/policies`` (`nil` for a
    /// policy without an `authentication` section): what the identity layer is built from.
    package var authentication: [AuthenticationSettings?]
    /// The policy tests found beside the policies.
    package var tests: [PolicyTestCase]
    /// The linter's warnings.
    package var warnings: [Diagnostic]
}
