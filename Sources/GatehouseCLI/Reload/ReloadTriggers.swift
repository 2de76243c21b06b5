import GatehouseCore
import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads on `SIGHUP`, which no longer stops the server.
///
/// The signal sequence is made before the server starts (``init(reloader:signals:)``), so a
/// SIGHUP sent as soon as the listeners are up is already trapped.
struct SignalReloadService: Service {
    let reloader: any PolicyAdministration
    let signals: UnixSignalsSequence

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await _ in self.signals {
                _ = await self.reloader.reload(ReloadRequest(trigger: .signal))
            }
        }
    }
}

/// Reloads when the watched policy directory changed and has been quiet; a directory caught
/// mid-edit (`source_changing`) is retried after the next quiet period.
struct DirectoryWatchService: Service {
    let reloader: any PolicyAdministration
    let watcher: DirectoryWatcher

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.watcher.run {
                let outcome = await self.reloader.reload(ReloadRequest(trigger: .watch))
                if case .refused(let failure) = outcome, failure.code == "source_changing" { return false }
                return true
            }
        }
    }
}

/// Polls `bundles.url` every `interval`; the conditional GET makes an unchanged bundle a `304`
/// and no reload.
struct BundlePollService: Service {
    let reloader: any PolicyAdministration
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while true {
                do { try await Task.sleep(for: self.interval) } catch { return }
                _ = await self.reloader.reload(ReloadRequest(trigger: .poll))
            }
        }
    }
}
