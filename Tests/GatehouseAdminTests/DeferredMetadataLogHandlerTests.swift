import GatehouseAdmin
import Logging
import Synchronization
import Testing

/// Records what reaches it, with the metadata it would print.
final class RecordingLogHandler: LogHandler, Sendable {
    let events = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
    private let level = Mutex<Logger.Level>(.info)

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { self.level.withLock { $0 } }
        set { self.level.withLock { $0 = newValue } }
    }

    subscript(metadataKey _: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        self.events.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
    }
}

@Suite("A logger whose metadata is merged only when a message is logged", .bug(id: "16"))
struct DeferredMetadataLogHandlerTests {
    @Test("A logged message carries the logger's metadata with its own on top; the level is the wrapped one's")
    func mergesWhenLogged() {
        let recorder = RecordingLogHandler()
        var logger = Logger(label: "test") { _ in DeferredMetadataLogHandler(wrapping: recorder) }
        logger[metadataKey: "hb.request.id"] = "7"
        logger[metadataKey: "shared"] = "logger"
        #expect(logger[metadataKey: "hb.request.id"] == "7")
        logger.debug("below the level")
        logger.info("first", metadata: ["shared": "message", "own": "1"])
        logger.logLevel = .debug
        #expect(recorder.logLevel == .debug)
        logger[metadataKey: "shared"] = nil
        logger.debug("second")
        let events = recorder.events.withLock { $0 }
        #expect(events.count == 2)
        #expect(events.first?.0 == .info)
        #expect(events.first?.1 == "first")
        #expect(events.first?.2 == ["hb.request.id": "7", "shared": "message", "own": "1"])
        #expect(events.last?.1 == "second")
        #expect(events.last?.2 == ["hb.request.id": "7"])
    }
}
