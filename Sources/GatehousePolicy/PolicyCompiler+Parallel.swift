import Dispatch
import GatehouseCore
import Synchronization

extension PolicyCompiler {
    /// One source file after the parse and schema stages.
    struct FileOutcome: Sendable {
        var parsed = ParsedFile()
        var errors: [Diagnostic] = []
    }

    /// Above this many rules, one policy's rules are read and linted in chunks of this size on all
    /// cores; below it a policy stays on one core (a thousand policies of a hundred rules already
    /// spread over the cores file by file).
    package static let rulesPerChunk = 2_048

    /// Parses every source on all cores, results in source order.
    ///
    /// Parsing and the schema stage are per file and take most of a large bundle's compile time
    /// (measured with perf on a 100,000-rule, 1,000-file bundle: about 70 %), so they run in
    /// parallel; everything after (semantics across files, the tree) stays sequential.
    static func parseFiles(_ sources: [PolicySource], checksFiles: Bool, rulesPerChunk: Int) -> [FileOutcome] {
        self.concurrentMap(sources) { source in
            switch YAMLNode.parseDocuments(source) {
            case .failure(let diagnostic):
                return FileOutcome(errors: [diagnostic])
            case .success(let documents):
                var parser = PolicyParser(
                    isTestFile: source.isTestFile, checksFiles: checksFiles, rulesPerChunk: rulesPerChunk)
                let parsed = parser.parse(documents: documents)
                return FileOutcome(parsed: parsed, errors: parser.reader.diagnostics.items)
            }
        }
    }

    /// Lints every compiled policy on all cores, one bag per policy in the given order.
    static func lint(_ compiled: [(CompiledPolicy, PolicyDocument)], rulesPerChunk: Int) -> [DiagnosticBag] {
        self.concurrentMap(compiled) { pair in
            var bag = DiagnosticBag()
            PolicyLinter.lint(pair.0, document: pair.1, rulesPerChunk: rulesPerChunk, into: &bag)
            return bag
        }
    }

    /// `elements.map(transform)`, spread over the machine's cores in contiguous chunks of `chunkSize`.
    ///
    /// Runs on Dispatch's worker threads, not Swift concurrency's cooperative pool, and the
    /// calling thread takes part, so nothing waits idle; small inputs stay on the caller. The
    /// results keep the elements' order, so whatever is merged from them (diagnostics) comes out
    /// as a serial map would give it.
    static func concurrentMap<Element: Sendable, Transformed: Sendable>(
        _ elements: [Element], chunkSize: Int = 16, _ transform: @Sendable (Element) -> Transformed
    ) -> [Transformed] {
        self.concurrentChunks(elements.count, chunkSize: chunkSize) { range in elements[range].map(transform) }
            .flatMap { $0 }
    }

    /// `transform` applied to `0..<count` cut into consecutive ranges of `chunkSize`, on all
    /// cores; the results in the ranges' order. One range when `count <= chunkSize`, on the caller.
    static func concurrentChunks<Transformed: Sendable>(
        _ count: Int, chunkSize: Int, _ transform: @Sendable (Range<Int>) -> Transformed
    ) -> [Transformed] {
        precondition(chunkSize > 0, "a chunk holds at least one element")
        guard count > chunkSize else { return [transform(0..<count)] }
        let chunks = (count + chunkSize - 1) / chunkSize
        let results = Mutex([Transformed?](repeating: nil, count: chunks))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let mapped = transform(chunk * chunkSize..<min(count, (chunk + 1) * chunkSize))
            results.withLock { $0[chunk] = mapped }
        }
        // concurrentPerform returns after every iteration ran, so every slot is filled.
        return results.withLock { $0.compactMap { $0 } }
    }
}
