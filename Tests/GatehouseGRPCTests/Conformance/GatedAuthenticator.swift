import GatehouseCore
import Synchronization

/// Holds every check for a path under `/slow/` until ``release()``, and tells when such a check
/// arrives and when one is cancelled while held; any other check is anonymous at once.
final class GatedAuthenticator: Authenticator {
    /// What happened to a held check.
    enum Event: Sendable, Equatable {
        case held
        case cancelled
    }

    /// The events, in order.
    let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation
    private let gate = Mutex<(isOpen: Bool, next: Int, waiting: [Int: CheckedContinuation<Void, Never>])>(
        (false, 0, [:]))

    init() {
        (self.events, self.sink) = AsyncStream.makeStream()
    }

    /// Lets every held check, and every later one, through.
    func release() {
        let waiting = self.gate.withLock { gate in
            gate.isOpen = true
            defer { gate.waiting = [:] }
            return Array(gate.waiting.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    func identity(for request: AuthzRequest, policyIndex: Int, caller: CallerFacts) async throws -> Identity {
        guard request.path.hasPrefix("/slow/") else { return .anonymous }
        let id = self.gate.withLock { gate in
            defer { gate.next += 1 }
            return gate.next
        }
        self.sink.yield(.held)
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                let resumeNow = self.gate.withLock { gate in
                    if gate.isOpen || Task.isCancelled { return true }
                    gate.waiting[id] = waiter
                    return false
                }
                if resumeNow { waiter.resume() }
            }
        } onCancel: {
            self.gate.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
        }
        if Task.isCancelled {
            self.sink.yield(.cancelled)
            throw CancellationError()
        }
        return .anonymous
    }

    func addCredentials(
        of request: AuthzRequest, policyIndex: Int, caller: CallerFacts, to key: inout some CacheKeyBuilder
    ) {}
}
