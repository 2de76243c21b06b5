import Foundation
import GatehouseCLI
import GatehouseCore
import GatehouseTestSupport
import Testing

/// Issue #11 item 9: the server setting `paths.dotSegments`, read like every other, and honoured by
/// `gatehouse check`.
@Suite("The paths.dotSegments setting", .timeLimit(.minutes(2)))
struct DotSegmentsSettingTests {
    static var policies: String { Repository.root.appendingPathComponent("policies").path }

    /// Runs `body` with the path of a settings file holding `text`, removed afterwards.
    static func withFile<Result>(_ text: String, _ body: (String) throws -> Result) throws -> Result {
        try withTemporaryDirectory("paths") { directory in
            let url = directory.appendingPathComponent("gatehouse.yaml")
            try Data(text.utf8).write(to: url)
            return try body(url.path)
        }
    }

    static func load(
        file: String? = nil, environment: [String: String] = [:], flags: [String: [String]] = [:]
    ) throws -> ServeConfiguration {
        try ServeConfiguration.load(
            file: file, environment: ["GATEHOUSE_POLICIES": Self.policies].merging(environment) { $1 }, flags: flags)
    }

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

    @Test("By default dot segments are rejected")
    func defaultRejects() throws {
        #expect(try Self.load().paths.dotSegments == .reject)
        let row = try #require(ServeSettings.table.first { $0.key == "paths.dotSegments" })
        #expect(row.defaultValue == "reject")
        #expect(row.variable == "GATEHOUSE_DOT_SEGMENTS")
        #expect(row.flag == "--dot-segments")
        #expect(row.type == "one of reject, normalize")
    }

    @Test("The file, the variable and the flag set it, flags over variables over the file")
    func sources() throws {
        try Self.withFile("paths:\n  dotSegments: normalize\n") { file in
            #expect(try Self.load(file: file).paths.dotSegments == .normalize)
            let overridden = try Self.load(
                file: file, environment: ["GATEHOUSE_DOT_SEGMENTS": "normalize"], flags: ["--dot-segments": ["reject"]])
            #expect(overridden.paths.dotSegments == .reject)
        }
        #expect(try Self.load(environment: ["GATEHOUSE_DOT_SEGMENTS": "Normalize"]).paths.dotSegments == .normalize)
        #expect(try Self.load(flags: ["--dot-segments": ["normalize"]]).paths.dotSegments == .normalize)
    }

    @Test("A bad value names its source, the value and the two choices")
    func badValue() throws {
        let message = "'sideways' is not a way to treat dot segments (reject, normalize)."
        #expect(
            Self.problems(environment: ["GATEHOUSE_DOT_SEGMENTS": "sideways"]) == ["GATEHOUSE_DOT_SEGMENTS: \(message)"]
        )
        #expect(Self.problems(flags: ["--dot-segments": ["sideways"]]) == ["--dot-segments: \(message)"])
        try Self.withFile("paths:\n  dotSegments: sideways\n") { file in
            #expect(Self.problems(file: file) == ["\(file):2:16: paths.dotSegments: \(message)"])
        }
        try Self.withFile("paths:\n  dotSegment: normalize\n") { unknown in
            #expect(Self.problems(file: unknown).first?.contains("paths has no key 'dotSegment'") == true)
        }
    }

    // MARK: gatehouse check

    /// A clerk's request for `path` against the example policies, with `extra` arguments.
    static func check(_ path: String, _ extra: [String] = [], environment: [String: String] = [:]) throws
        -> GatehouseProcess.Output
    {
        try GatehouseProcess.run(
            [
                "check", "--host", "civil-registry.gov.example", "--context", "building_block=civil-registry",
                "--issuer", "https://idp.gov.example", "--subject", "alice", "--claim", "realm_access.roles=clerk",
                "--header", "x-purpose-of-use: birth-certificate", "--path", path, "--json",
            ] + extra, environment: environment)
    }

    static func object(_ output: GatehouseProcess.Output) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    @Test("gatehouse check denies a dot segment 400 ambiguous_path by default")
    func checkRejectsByDefault() throws {
        let output = try Self.check("/births/./1987-0042", ["--policies", "policies"])
        #expect(output.status == 1, "\(output.stderr)")
        let object = try Self.object(output)
        #expect(object["status"] as? Int == 400)
        #expect(object["reason"] as? String == "ambiguous_path")
    }

    @Test("gatehouse check honours --dot-segments, GATEHOUSE_DOT_SEGMENTS and a --config file")
    func checkHonoursTheSetting() throws {
        let outputs = [
            try Self.check("/births/./1987-0042", ["--policies", "policies", "--dot-segments", "normalize"]),
            try Self.check(
                "/births/./1987-0042", ["--policies", "policies"], environment: ["GATEHOUSE_DOT_SEGMENTS": "normalize"]),
            try Self.withFile("policies: \(Self.policies)\npaths: { dotSegments: normalize }\n") { config in
                try Self.check("/births/./1987-0042", ["--config", config])
            },
        ]
        for output in outputs {
            #expect(output.status == 0, "\(output.stdout)\(output.stderr)")
            #expect(try Self.object(output)["rule"] as? String == "clerks-read-births")
        }
    }

    @Test("gatehouse check --explain says why a dot segment is refused and which setting accepts it")
    func checkExplains() throws {
        let output = try GatehouseProcess.run([
            "check", "--policies", "policies", "--path", "/births/1987-0042/../export", "--explain",
        ])
        #expect(output.status == 1)
        #expect(output.stdout.contains("path '/births/1987-0042/../export' refused: ambiguous (a '.' or '..' segment"))
        #expect(output.stdout.contains("set paths.dotSegments: normalize"))
        #expect(output.stdout.contains("deny 400 ambiguous_path"))
    }

    @Test("gatehouse check with a bad --dot-segments exits 2 naming the flag")
    func checkBadValue() throws {
        let output = try GatehouseProcess.run(["check", "--policies", "policies", "--dot-segments", "sideways"])
        #expect(output.status == 2)
        #expect(output.stderr.contains("--dot-segments: 'sideways' is not a way to treat dot segments"))
    }

    @Test("gatehouse serve declares --dot-segments")
    func serveFlag() throws {
        let help = try GatehouseProcess.run(["serve", "--help"])
        #expect(help.stdout.contains("--dot-segments "))
    }
}
