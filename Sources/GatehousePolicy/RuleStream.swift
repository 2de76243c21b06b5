import Dispatch
import Foundation
import GatehouseCore
import Synchronization

/// The schema stage of a large policy's rules, run chunk by chunk on other cores while the
/// composer is still reading the rest of the file.
///
/// Composing a file's YAML is serial (libyaml reads it front to back) and took ~20 % of a
/// 100,000-rule policy's compile on the main thread alone, with the other core idle; the schema
/// stage then read the rules in chunks on both cores. Here the composer hands the root mapping's
/// `rules` sequence over in chunks of ``PolicyCompiler/rulesPerChunk`` as it composes them (see
/// ``YAMLEventComposer/SequenceSink``), each chunk is read on a Dispatch worker by a parser of its
/// own (a rule reads nothing but its own node). ``finish()`` reads on the calling thread whatever
/// no worker has started, so nothing waits idle, frees the chunks' nodes there, and returns the
/// chunks in order: the same chunks
/// ``PolicyParser`` reads from the tree when nothing was streamed, so the rules and diagnostics do
/// not depend on it.
///
/// A chunk's results are used only if the file composed without a failure and the document turns
/// out to be a policy that reaches its rules; otherwise they are dropped, as the serial path
/// would never have read them.
final class RuleStream: Sendable {
    /// One chunk's rules and the diagnostics reading them gave, in order.
    struct Chunk: Sendable {
        var rules: [RuleDocument]
        var diagnostics: DiagnosticBag
    }

    /// A chunk not started yet.
    private struct Job: Sendable {
        var document: Int
        var index: Int
        var items: [YAMLNode]
    }

    private struct State: Sendable {
        /// Chunks waiting for a thread, oldest first.
        var pending: [Job] = []
        /// Chunks handed over, per document.
        var submitted: [Int: Int] = [:]
        /// Finished chunks by document and index.
        var done: [Int: [Int: Chunk]] = [:]
        /// Dispatch workers reading chunks now.
        var workers = 0
        /// The nodes of the chunks read, kept for ``finish()`` to free on its thread. A worker
        /// that freed them as it went made the compile slower and a fifth more costly in CPU:
        /// glibc takes a freed block back into the arena of the thread that allocated it, under
        /// that arena's lock, which the composer was taking for every node it allocated.
        var read: [[YAMLNode]] = []
    }

    /// The most Dispatch workers reading chunks at once: one core fewer than the machine has, so
    /// that the composer, which is what the last chunk waits for, keeps a core to itself (with a
    /// worker per core, three threads shared two cores and composing took about a quarter longer).
    private static let maximumWorkers = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    private let checksFiles: Bool
    private let chunkSize: Int
    private let state = Mutex(State())
    /// Signalled once for every finished chunk, by whichever thread read it.
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - checksFiles: Whether files the rules reference must exist, as for ``PolicyParser``.
    ///   - chunkSize: Rules a chunk; a `rules` list of at most this many stays in the tree.
    init(checksFiles: Bool, chunkSize: Int) {
        self.checksFiles = checksFiles
        self.chunkSize = chunkSize
    }

    /// The sink to give the composer: the `rules` of every root mapping.
    var sink: YAMLEventComposer.SequenceSink {
        YAMLEventComposer.SequenceSink(key: "rules", chunkSize: self.chunkSize) { document, items in
            self.submit(document: document, items: items)
        }
    }

    private func submit(document: Int, items: [YAMLNode]) {
        let startsWorker = self.state.withLock { state in
            let index = state.submitted[document, default: 0]
            state.submitted[document] = index + 1
            state.pending.append(Job(document: document, index: index, items: items))
            guard state.workers < Self.maximumWorkers else { return false }
            state.workers += 1
            return true
        }
        guard startsWorker else { return }
        // A worker reads the oldest waiting chunks until none is left, and stops in the same
        // critical section that finds the list empty, so a chunk is never left without a reader.
        DispatchQueue.global().async {
            while self.runOne(stoppingWorker: true) {}
        }
    }

    /// Reads the oldest waiting chunk, if there is one; whether there was. A worker that finds
    /// none is counted off.
    @discardableResult
    private func runOne(stoppingWorker: Bool = false) -> Bool {
        let job: Job? = self.state.withLock { state in
            if state.pending.isEmpty {
                if stoppingWorker { state.workers -= 1 }
                return nil
            }
            return state.pending.removeFirst()
        }
        guard let job else { return false }
        let chunk = PolicyParser.chunk(job.items[...], isTestFile: false, checksFiles: self.checksFiles)
        self.state.withLock { state in
            state.done[job.document, default: [:]][job.index] = chunk
            state.read.append(job.items)
        }
        self.finished.signal()
        return true
    }

    /// Every streamed document's chunks in order, by document index, once all are read.
    ///
    /// Reads the chunks no worker has started on the calling thread, then waits for the ones
    /// being read (they are running, so the wait ends even when every Dispatch worker is busy),
    /// and frees the chunks' nodes on the calling thread.
    func finish() -> [Int: [Chunk]] {
        while self.runOne() {}
        let total = self.state.withLock { $0.submitted.values.reduce(0, +) }
        for _ in 0..<total { self.finished.wait() }
        let (chunks, read) = self.state.withLock { state in
            let chunks = state.done.mapValues { chunks in chunks.keys.sorted().compactMap { chunks[$0] } }
            defer { state.read = [] }
            return (chunks, state.read)
        }
        withExtendedLifetime(read) {}  // the last reference: the nodes are freed here
        return chunks
    }
}
