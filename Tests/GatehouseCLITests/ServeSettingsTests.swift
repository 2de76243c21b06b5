import Foundation
import GatehouseCLI
import GatehouseCache
import GatehouseGRPC
import GatehouseTestSupport
import Logging
import Testing

@Suite("gatehouse serve's table of settings", .timeLimit(.minutes(2)))
struct ServeSettingsTests {
    static let policies = Repository.examplePolicies.path

    /// Loads with the repository's policies, so only the settings under test can be wrong.
    static func load(
        file: String? = nil, environment: [String: String] = [:], flags: [String: [String]] = [:]
    ) throws -> ServeConfiguration {
        try ServeConfiguration.load(
            file: file, environment: ["GATEHOUSE_POLICIES": Self.policies].merging(environment) { $1 }, flags: flags)
    }

    /// The problems loading reports, or none.
    static func problems(
        file: String? = nil, environment: [String: String] = [:], flags: [String: [String]] = [:]
    ) -> [String] {
        do {
            _ = try Self.load(file: file, environment: environment, flags: flags)
            return []
        } catch let error as ConfigurationError {
            return error.problems
        } catch {
            return ["\(error)"]
        }
    }

    /// Runs `body` with the path of a settings file holding `text`, removed afterwards.
    static func withFile<Result>(_ text: String, _ body: (String) throws -> Result) throws -> Result {
        try withTemporaryDirectory("settings") { directory in
            let url = directory.appendingPathComponent("gatehouse.yaml")
            try Data(text.utf8).write(to: url)
            return try body(url.path)
        }
    }

    @Test("deploy/CONFIGURATION.md lists exactly the table's rows: key, variable, flag and default")
    func documentationMatchesTable() throws {
        let text = try String(
            contentsOf: Repository.deploy.appendingPathComponent("CONFIGURATION.md"), encoding: .utf8)
        // The settings table is the one whose header starts `| key | variable | flag |`.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("| key | variable | flag |") })
        let rows = lines[(header + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().prefix(5).map {
                $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "")
            }
        }
        let documented = rows.map { [$0[0], $0[1], $0[2], $0[4]] }
        let code = ServeSettings.table.map { [$0.key, $0.variable ?? "–", $0.flag ?? "–", $0.defaultValue] }
        #expect(documented == code, "the table in deploy/CONFIGURATION.md should read:\n\(Self.markdownRows)")
    }

    /// The table as deploy/CONFIGURATION.md writes it, printed when they differ.
    static var markdownRows: String {
        ServeSettings.table.map { setting in
            let cells = [
                "`\(setting.key)`", setting.variable.map { "`\($0)`" } ?? "–", setting.flag.map { "`\($0)`" } ?? "–",
                setting.type, "`\(setting.defaultValue)`", setting.summary,
            ]
            return "| " + cells.joined(separator: " | ") + " |"
        }.joined(separator: "\n")
    }

    @Test("Every key, variable and flag appears once")
    func namesAreUnique() {
        let keys = ServeSettings.table.map(\.key)
        let variables = ServeSettings.table.compactMap(\.variable)
        let flags = ServeSettings.table.compactMap(\.flag)
        #expect(Set(keys).count == keys.count)
        #expect(Set(variables).count == variables.count)
        #expect(Set(flags).count == flags.count)
    }

    @Test("Every row's default, written in the file, loads as the built-in default")
    func defaultsRoundTrip() throws {
        var expected = ServeConfiguration()
        expected.policies = Self.policies
        // Paths written in the file are relative to the file's folder, so theirs differ.
        for setting in ServeSettings.table
        where !["policies", "grpc.listeners", "bundles.store", "audit.store", "audit.key"].contains(setting.key) {
            // `per core` is the absence of a value, which no text writes.
            if setting.defaultValue == "per core" { continue }
            let path = setting.key.split(separator: ".")
            // Each part of the key one level deeper: `a.b.c: v` is `a:\n  b:\n    c: v`.
            let yaml =
                path.enumerated().map { level, part in
                    String(repeating: "  ", count: level) + "\(part):"
                        + (level == path.count - 1 ? " \(setting.defaultValue)" : "")
                }.joined(separator: "\n") + "\n"
            let loaded = try Self.withFile(yaml) { try Self.load(file: $0) }
            #expect(loaded == expected, "\(setting.key): \(setting.defaultValue)")
        }
    }

    @Test(
        "A bad value reads the same from the file, the environment and a flag, each naming its source",
        arguments: [
            ("log.level", "chatty", "is not a log level (trace, debug, info, notice, warning, error, critical)."),
            ("grpc.listeners", "nowhere", "is not a list of addresses (HOST:PORT, [V6]:PORT or unix:PATH)."),
            ("policies", "", "is not a path."),
        ])
    func sameMessageFromEverySource(key: String, value: String, message: String) throws {
        let setting = try #require(ServeSettings.table.first { $0.key == key })
        let variable = try #require(setting.variable)
        let flag = try #require(setting.flag)
        #expect(Self.problems(environment: [variable: value]).first == "\(variable): '\(value)' \(message)")
        #expect(Self.problems(flags: [flag: [value]]).first == "\(flag): '\(value)' \(message)")
        let path = key.split(separator: ".")
        let yaml = path.count == 1 ? "\(path[0]): '\(value)'\n" : "\(path[0]):\n  \(path[1]): '\(value)'\n"
        // A listener list in the file is a list of mappings; its addresses have the address parser's message.
        guard key != "grpc.listeners" else { return }
        let column = path.count == 1 ? path[0].count + 3 : path[1].count + 5
        try Self.withFile(yaml) { file in
            #expect(
                Self.problems(file: file).first == "\(file):\(path.count):\(column): \(key): '\(value)' \(message)")
        }
    }

    @Test(
        "Variables that once ignored a bad value now report it",
        arguments: [
            ("GATEHOUSE_EVENT_LOOP_THREADS", "0", "is not a whole number from 1 to 256."),
            ("GATEHOUSE_EVENT_LOOP_THREADS", "many", "is not a whole number from 1 to 256."),
            ("GATEHOUSE_CACHE", "maybe", "is not a switch (true or false, on or off)."),
        ])
    func environmentReportsBadValues(variable: String, value: String, message: String) {
        #expect(Self.problems(environment: [variable: value]) == ["\(variable): '\(value)' \(message)"])
    }

    @Test("Flags override variables, which override the file, which overrides the defaults")
    func precedence() throws {
        let text = """
            log: { level: error }
            grpc:
              eventLoopThreads: 3
              listeners: [{ address: 127.0.0.1:7000 }]
            cache: { enabled: false, shards: 5 }
            """
        try Self.withFile(text) { file in try Self.expectPrecedence(file: file) }
    }

    /// The checks of ``precedence()`` on a settings file.
    private static func expectPrecedence(file: String) throws {
        let fromFile = try Self.load(file: file)
        #expect(fromFile.logLevel == .error)
        #expect(fromFile.grpc.eventLoopThreads == 3)
        #expect(fromFile.grpc.listeners.map(\.description) == ["127.0.0.1:7000 (plaintext)"])
        #expect(!fromFile.cache.isEnabled)
        #expect(fromFile.cache.limits.shards == 8, "shards round up to a power of two")
        #expect(fromFile.grpc.idleTimeout == .seconds(300), "a key the file leaves out keeps its default")

        let environment = [
            "GATEHOUSE_LOG_LEVEL": "debug", "GATEHOUSE_EVENT_LOOP_THREADS": "2",
            "GATEHOUSE_LISTEN": "127.0.0.1:7001, unix:/tmp/g.sock", "GATEHOUSE_CACHE": "on",
        ]
        let fromEnvironment = try Self.load(file: file, environment: environment)
        #expect(fromEnvironment.logLevel == .debug)
        #expect(fromEnvironment.grpc.eventLoopThreads == 2)
        #expect(
            fromEnvironment.grpc.listeners.map(\.description) == [
                "127.0.0.1:7001 (plaintext)", "unix:/tmp/g.sock (plaintext)",
            ])
        #expect(fromEnvironment.cache.isEnabled)

        let fromFlags = try Self.load(
            file: file, environment: environment,
            flags: ["--log-level": ["warning"], "--listen": ["127.0.0.1:7002", "127.0.0.1:7003"]])
        #expect(fromFlags.logLevel == .warning)
        #expect(
            fromFlags.grpc.listeners.map(\.description) == ["127.0.0.1:7002 (plaintext)", "127.0.0.1:7003 (plaintext)"])
        #expect(fromFlags.grpc.eventLoopThreads == 2, "a setting no flag sets keeps the variable's value")
    }

    @Test("A duration of 0 turns the idle timeout off")
    func zeroIsOff() throws {
        let configuration = try Self.withFile("grpc: { idleTimeout: 0s }\n") { try Self.load(file: $0) }
        #expect(configuration.grpc.idleTimeout == nil)
    }

    @Test("A removed setting fails at its file position, or as a variable, saying it was removed and what to do")
    func removedSettings() throws {
        try Self.withFile("grpc:\n  transport: direct\n  flushCoalescingDelay: 2ms\n") { file in
            let problems = Self.problems(file: file)
            #expect(problems.count == 2)
            #expect(problems.first?.hasPrefix("\(file):2:3: grpc.transport: this setting was removed: ") == true)
            #expect(problems.first?.contains("direct transport") == true)
            #expect(problems.first?.hasSuffix("; delete it.") == true)
            #expect(
                problems.last?.hasPrefix("\(file):3:3: grpc.flushCoalescingDelay: this setting was removed: ") == true)
        }
        let variables = Self.problems(environment: [
            "GATEHOUSE_TRANSPORT": "direct", "GATEHOUSE_FLUSH_COALESCING_US": "0",
        ])
        #expect(variables.count == 2)
        #expect(
            variables.contains {
                $0.hasPrefix("GATEHOUSE_TRANSPORT: this variable was removed: ") && $0.hasSuffix("; unset it.")
            })
        #expect(variables.contains { $0.hasPrefix("GATEHOUSE_FLUSH_COALESCING_US: this variable was removed: ") })
    }

    @Test("File problems come in the file's order, a list where a value belongs is named")
    func fileProblemsInOrder() throws {
        let text = """
            cache: { ttl: [1s] }
            grpc: { maxRequestBytes: 1 }
            log: { level: loud }
            """
        try Self.withFile(text) { file in
            #expect(
                Self.problems(file: file) == [
                    "\(file):1:15: cache.ttl must be a single value, not a list or mapping.",
                    "\(file):2:26: grpc.maxRequestBytes: '1' is not a whole number from 1024 to 268435456.",
                    "\(file):3:15: log.level: 'loud' is not a log level (trace, debug, info, notice, warning, error, critical).",
                ])
        }
    }
}

extension ServeSettingsTests {
    @Test("Every flag of the table is one gatehouse serve declares")
    func flagsAreDeclared() throws {
        let help = try GatehouseProcess.run(["serve", "--help"])
        for flag in ServeSettings.table.compactMap(\.flag) {
            #expect(help.stdout.contains("\(flag) "), "\(flag) is not in:\n\(help.stdout)")
        }
    }
}
