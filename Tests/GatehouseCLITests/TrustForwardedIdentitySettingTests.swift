import Foundation
import GatehouseCLI
import GatehouseGRPC
import GatehouseTestSupport
import Testing

/// `grpc.listeners[].trustForwardedIdentity`: allowed on a Unix socket and on an mTLS listener
/// with `allowedClients`, refused at its `file:line:col` on any other TCP listener, loopback
/// included.
@Suite("trustForwardedIdentity listener setting", .timeLimit(.minutes(1)))
struct TrustForwardedIdentitySettingTests {
    /// A folder with a CA bundle and stand-ins for the server's certificate and key.
    struct Folder {
        let path: String

        /// Runs `body` with a folder in a temporary directory removed afterwards.
        static func with(_ body: (Folder) throws -> Void) throws {
            try withTemporaryDirectory("trust-forwarded") { directory in try body(try Folder(directory.path)) }
        }

        private init(_ path: String) throws {
            self.path = path
            try self.write("ca.pem", try TestPKI.pem([try TestPKI.root().certificate]))
            try self.write("server.pem", "stands in: the configuration does not parse it")
            try self.write("server-key.pem", "stands in")
        }

        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: self.path + "/" + name))
        }

        /// `gatehouse.yaml` with one listener made of `lines` (under `- `).
        func configuration(_ lines: [String]) throws -> String {
            let listener = lines.enumerated().map { ($0.offset == 0 ? "    - " : "      ") + $0.element }
            try self.write("gatehouse.yaml", (["grpc:", "  listeners:"] + listener).joined(separator: "\n") + "\n")
            return self.path + "/gatehouse.yaml"
        }
    }

    static let mutualTLS = [
        "tls:", "  certificate: server.pem", "  key: server-key.pem", "  clientCA: ca.pem",
    ]

    @Test("A Unix socket may trust forwarded identities; the default is not to")
    func unixSocket() throws {
        try Folder.with { folder in
            let trusted = try ServeSettingsTests.load(
                file: try folder.configuration(["address: unix:/tmp/gatehouse.sock", "trustForwardedIdentity: true"]))
            #expect(
                trusted.grpc.listeners == [
                    ListenerConfiguration(address: .unix(path: "/tmp/gatehouse.sock"), trustsForwardedIdentity: true)
                ])
            let plain = try ServeSettingsTests.load(
                file: try folder.configuration(["address: unix:/tmp/gatehouse.sock"]))
            #expect(plain.grpc.listeners.map(\.trustsForwardedIdentity) == [false])
        }
    }

    @Test("A pinned mTLS listener may trust forwarded identities")
    func pinnedMutualTLS() throws {
        try Folder.with { folder in
            let file = try folder.configuration(
                ["address: 0.0.0.0:9443", "trustForwardedIdentity: true"] + Self.mutualTLS
                    + ["  allowedClients: { spiffeIds: [spiffe://gov.example/envoy/front] }"])
            let listeners = try ServeSettingsTests.load(file: file).grpc.listeners
            #expect(listeners.map(\.trustsForwardedIdentity) == [true])
            #expect(listeners.map(\.pinsItsCallers) == [true])
        }
    }

    @Test(
        "Any other TCP listener is refused at the setting's position, loopback included",
        arguments: [
            ["address: 0.0.0.0:9191"], ["address: 127.0.0.1:9191"], ["address: '[::1]:9191'"],
            ["address: 0.0.0.0:9443"] + Self.mutualTLS,
        ])
    func refused(_ lines: [String]) throws {
        try Folder.with { folder in
            let file = try folder.configuration([lines[0], "trustForwardedIdentity: true"] + lines.dropFirst())
            let problems = ServeSettingsTests.problems(file: file)
            #expect(problems.count == 1, "\(problems)")
            #expect(problems.first?.hasPrefix("\(file):4:31: grpc.listeners[0].trustForwardedIdentity: ") == true)
            #expect(problems.first?.contains("does not pin its callers") == true, "\(problems)")
        }
    }

    @Test("false is accepted anywhere, and a value that is not a switch is refused at its position")
    func values() throws {
        try Folder.with { folder in
            let off = try folder.configuration(["address: 0.0.0.0:9191", "trustForwardedIdentity: false"])
            #expect(ServeSettingsTests.problems(file: off) == [])
            let bad = try folder.configuration(["address: unix:/tmp/g.sock", "trustForwardedIdentity: maybe"])
            let problems = ServeSettingsTests.problems(file: bad)
            #expect(problems.count == 1 && problems.first?.hasPrefix("\(bad):4:31: ") == true, "\(problems)")
        }
    }
}
