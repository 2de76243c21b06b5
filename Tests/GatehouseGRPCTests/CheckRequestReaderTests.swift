import EnvoyAuthAPI
import Foundation
import GatehouseCore
import GatehouseGRPC
import SwiftProtobuf
import Testing

/// The direct transport's own `CheckRequest` reader against swift-protobuf: the same request
/// model for every encoding the reader accepts, and every encoding it does not accept left to
/// swift-protobuf (differential over generated requests and over mutated encodings, the fuzz
/// target's check in Tests/Benchmarks run deterministically).
@Suite("CheckRequest read from its encoding", .bug(id: "15"))
struct CheckRequestReaderTests {
    static let receivedAt = UnixTime(seconds: 1_700_000_000, nanoseconds: 5)

    /// The request model by the direct transport's reader; `nil` when it leaves the bytes to swift-protobuf.
    static func read(_ bytes: [UInt8]) -> AuthzRequest? {
        bytes.withUnsafeBytes { AuthzRequest(encodedCheck: $0, receivedAt: Self.receivedAt) }
    }

    /// The request model by swift-protobuf and the mapping; `nil` when swift-protobuf refuses the bytes.
    static func decoded(_ bytes: [UInt8]) -> AuthzRequest? {
        guard let message = try? Envoy_Service_Auth_V3_CheckRequest(serializedBytes: bytes) else { return nil }
        return AuthzRequest(message, receivedAt: Self.receivedAt)
    }

    @Test("Generated requests: the reader reads every one, as swift-protobuf and the mapping do")
    func generatedRequests() throws {
        var random = SplitMix64(seed: 15)
        for index in 0..<3_000 {
            let bytes: [UInt8] = try Self.generated(&random).serializedBytes()
            let read = try #require(Self.read(bytes), "generated request \(index) was left to swift-protobuf")
            #expect(read == Self.decoded(bytes), "generated request \(index)")
        }
    }

    @Test("Mutated encodings: what the reader accepts, swift-protobuf reads the same")
    func mutatedEncodings() throws {
        var random = SplitMix64(seed: 1_500)
        var accepted = 0
        var leftOver = 0
        for index in 0..<30_000 {
            var bytes: [UInt8] = try Self.generated(&random).serializedBytes()
            for _ in 0..<Int.random(in: 1...3, using: &random) { Self.mutate(&bytes, &random) }
            guard let read = Self.read(bytes) else {
                leftOver += 1
                continue
            }
            accepted += 1
            let decoded = Self.decoded(bytes)
            #expect(decoded != nil, "mutation \(index): accepted by the reader, refused by swift-protobuf")
            #expect(read == decoded, "mutation \(index)")
        }
        // Both sides of the comparison were exercised.
        #expect(accepted > 1_500)
        #expect(leftOver > 3_000)
    }

    @Test(
        "Encodings the reader leaves to swift-protobuf",
        arguments: [
            ("a singular message sent twice (merged)", [0x0A, 0x02, 0x22, 0x00, 0x0A, 0x02, 0x22, 0x00]),
            ("a string sent twice (last wins)", Self.http([0x12, 0x01, 0x47, 0x12, 0x01, 0x50])),
            ("a group", [0x0B, 0x0C]),
            ("a wrong wire type", [0x08, 0x01]),
            ("field number 0", [0x02, 0x00]),
            ("a length past the end", [0x0A, 0x05, 0x00]),
            // Found by Tests/Fuzz: a zero-padded six-byte tag, which swift-protobuf refuses.
            ("a six-byte tag", [0x8A, 0x89, 0xE6, 0x8A, 0x89, 0x00, 0x00, 0x30, 0x30]),
            ("an eleven-byte varint", [0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01]),
            ("invalid UTF-8 in an unread string (body)", Self.http([0x5A, 0x01, 0xFF])),
            ("invalid UTF-8 in a read string (path)", Self.http([0x22, 0x02, 0xC3, 0x28])),
            (
                "an upper-case name in the headers map",
                Self.http([0x1A, 0x07, 0x0A, 0x01, 0x41, 0x12, 0x02, 0x6F, 0x6B])
            ),
        ] as [(String, [UInt8])])
    func leftToSwiftProtobuf(_ what: String, _ bytes: [UInt8]) {
        #expect(Self.read(bytes) == nil, "\(what)")
    }

    @Test("A singular message sent twice is merged by swift-protobuf, on the transport's fallback")
    func mergedMessageFallsBack() throws {
        var first = Envoy_Service_Auth_V3_CheckRequest()
        first.attributes.request.http.method = "GET"
        var second = Envoy_Service_Auth_V3_CheckRequest()
        second.attributes.request.http.path = "/x"
        let bytes: [UInt8] = try first.serializedBytes() + second.serializedBytes()
        #expect(Self.read(bytes) == nil)
        let decoded = try #require(Self.decoded(bytes))
        #expect(decoded.method == HTTPMethod("GET"))
        #expect(decoded.path == "/x")
    }

    @Test("Unknown fields are skipped at every level, as swift-protobuf keeps them unread")
    func unknownFieldsSkipped() throws {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = "POST"
        request.attributes.request.http.path = "/a?b=c"
        request.attributes.source.address.socketAddress.address = "10.0.0.1"
        let known: [UInt8] = try request.serializedBytes()
        // Field 99 as varint, fixed64, fixed32 and bytes, before the message's own fields.
        let unknown: [UInt8] =
            [0x98, 0x06, 0x01, 0x99, 0x06] + [UInt8](repeating: 7, count: 8) + [0x9D, 0x06, 1, 2, 3, 4]
            + [0x9A, 0x06, 0x02, 0xFF, 0xFE]
        let bytes = unknown + known
        let read = try #require(Self.read(bytes))
        #expect(read == Self.decoded(bytes))
        #expect(read.path == "/a")
        #expect(read.source.address == IPAddress("10.0.0.1"))
    }

    @Test("A oneof's last case sent is the one: port_value or named_port, socket address or pipe")
    func oneofLastCaseWins() throws {
        // source { address { socket_address { address "10.0.0.1" port_value 80 named_port "h" } } }
        let socket: [UInt8] = [0x12, 0x08] + Array("10.0.0.1".utf8) + [0x18, 0x50, 0x22, 0x01, 0x68]
        let portThenName = Self.source(address: [0x0A, UInt8(socket.count)] + socket)
        let read = try #require(Self.read(portThenName))
        #expect(read.source.port == nil)
        #expect(read == Self.decoded(portThenName))
        // source { address { pipe { path "p" } socket_address { … } } } and the other way round.
        let pipe: [UInt8] = [0x12, 0x03, 0x0A, 0x01, 0x70]
        let pipeThenSocket = Self.source(address: pipe + [0x0A, UInt8(socket.count)] + socket)
        let socketThenPipe = Self.source(address: [0x0A, UInt8(socket.count)] + socket + pipe)
        #expect(try #require(Self.read(pipeThenSocket)).source.address == IPAddress("10.0.0.1"))
        #expect(try #require(Self.read(socketThenPipe)).source.address == nil)
        #expect(Self.read(pipeThenSocket) == Self.decoded(pipeThenSocket))
        #expect(Self.read(socketThenPipe) == Self.decoded(socketThenPipe))
    }

    // MARK: - Encodings

    /// `attributes { request { http { <fields> } } }`.
    static func http(_ fields: [UInt8]) -> [UInt8] {
        let http = [0x12, UInt8(fields.count)] + fields
        let request = [0x22, UInt8(http.count)] + http
        return [0x0A, UInt8(request.count)] + request
    }

    /// `attributes { source { address { <address> } } }`.
    static func source(address: [UInt8]) -> [UInt8] {
        let peer = [0x0A, UInt8(address.count)] + address
        let source = [0x0A, UInt8(peer.count)] + peer
        return [0x0A, UInt8(source.count)] + source
    }

    /// One random change: a byte set, inserted or removed, the end cut, or a stretch repeated.
    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        guard !bytes.isEmpty else {
            bytes.append(UInt8.random(in: 0...255, using: &random))
            return
        }
        let at = Int.random(in: 0..<bytes.count, using: &random)
        switch Int.random(in: 0..<6, using: &random) {
        case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
        case 1: bytes.insert(UInt8.random(in: 0...255, using: &random), at: at)
        case 2: bytes.remove(at: at)
        case 3: bytes.removeLast(Int.random(in: 1...min(8, bytes.count), using: &random))
        case 4:
            let end = min(bytes.count, at + Int.random(in: 1...24, using: &random))
            bytes.insert(contentsOf: bytes[at..<end], at: end)
        default: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        }
    }

    // MARK: - Generated requests

    static func generated(_ random: inout SplitMix64) -> Envoy_Service_Auth_V3_CheckRequest {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        guard Int.random(in: 0..<20, using: &random) != 0 else { return request }
        if Bool.random(using: &random) { request.attributes.source = Self.peer(&random) }
        if Bool.random(using: &random) { request.attributes.destination = Self.peer(&random) }
        if Int.random(in: 0..<10, using: &random) != 0 {
            if Int.random(in: 0..<4, using: &random) != 0 {
                request.attributes.request.time.seconds = Int64.random(in: -5...2_000_000_000, using: &random)
                request.attributes.request.time.nanos = Int32.random(in: -2...999_999_999, using: &random)
            }
            if Int.random(in: 0..<10, using: &random) != 0 {
                request.attributes.request.http = Self.http(&random)
            }
        }
        for _ in 0..<Int.random(in: 0...3, using: &random) {
            request.attributes.contextExtensions[Self.pick(Self.words, &random)] = Self.pick(Self.words, &random)
        }
        if Int.random(in: 0..<4, using: &random) == 0 {
            var value = Google_Protobuf_Value()
            value.stringValue = Self.pick(Self.words, &random)
            var fields = Google_Protobuf_Struct()
            fields.fields[Self.pick(Self.words, &random)] = value
            request.attributes.metadataContext.filterMetadata["envoy.filters.http.jwt_authn"] = fields
        }
        if Int.random(in: 0..<6, using: &random) == 0 {
            request.attributes.tlsSession.sni = Self.pick(Self.hosts, &random)
        }
        return request
    }

    static func peer(_ random: inout SplitMix64) -> Envoy_Service_Auth_V3_AttributeContext.Peer {
        var peer = Envoy_Service_Auth_V3_AttributeContext.Peer()
        switch Int.random(in: 0..<6, using: &random) {
        case 0: break
        case 1: peer.address.pipe.path = "/run/envoy.sock"
        case 2: peer.address.envoyInternalAddress.serverListenerName = "internal"
        default:
            peer.address.socketAddress.address = Self.pick(Self.addresses, &random)
            if Bool.random(using: &random) {
                peer.address.socketAddress.portValue = UInt32.random(in: 0...65_535, using: &random)
            } else if Bool.random(using: &random) {
                peer.address.socketAddress.namedPort = "https"
            }
        }
        if Bool.random(using: &random) {
            peer.principal = "spiffe://gov.example/ns/x/sa/\(Self.pick(Self.words, &random))"
        }
        if Int.random(in: 0..<4, using: &random) == 0 { peer.certificate = "-----BEGIN%20CERTIFICATE-----%0A" }
        if Int.random(in: 0..<4, using: &random) == 0 { peer.service = Self.pick(Self.words, &random) }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            peer.labels[Self.pick(Self.words, &random)] = Self.pick(Self.words, &random)
        }
        return peer
    }

    static func http(_ random: inout SplitMix64) -> Envoy_Service_Auth_V3_AttributeContext.HttpRequest {
        var http = Envoy_Service_Auth_V3_AttributeContext.HttpRequest()
        http.id = String(UInt64.random(in: 0...UInt64.max, using: &random))
        http.method = Self.pick(["GET", "POST", "DELETE", "get", "PROPFIND", ""], &random)
        http.path = Self.pick(Self.paths, &random)
        http.host = Self.pick(Self.hosts, &random)
        http.scheme = Self.pick(["http", "https", ""], &random)
        http.protocol = Self.pick(["HTTP/1.1", "HTTP/2", "HTTP/3", ""], &random)
        if Bool.random(using: &random) { http.query = "a=1" }
        if Int.random(in: 0..<8, using: &random) == 0 { http.body = "{\"ä\": 1}" }
        if Int.random(in: 0..<8, using: &random) == 0 { http.rawBody = Data([0xFF, 0x00, 0x7F]) }
        if Bool.random(using: &random) { http.size = Int64.random(in: -1...10_000, using: &random) }
        let names = ["authorization", "x-request-id", "user-agent", "x-client", "accept", "traceparent"]
        if Int.random(in: 0..<3, using: &random) == 0 {
            // Envoy's raw headers: repeats kept, names in any case, values possibly not UTF-8.
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                var header = Envoy_Config_Core_V3_HeaderValue()
                header.key = Self.pick(names + ["X-Client", "Accept"], &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: header.value = Self.pick(Self.values, &random)
                case 1: header.rawValue = Data(Self.pick(Self.values, &random).utf8)
                default: header.rawValue = Data([0x61, 0xFF, 0xC3])
                }
                http.headerMap.headers.append(header)
            }
        } else {
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                http.headers[Self.pick(names, &random)] = Self.pick(Self.values, &random)
            }
        }
        return http
    }

    static func pick(_ choices: [String], _ random: inout SplitMix64) -> String {
        choices[Int.random(in: 0..<choices.count, using: &random)]
    }

    static let words = ["a", "building_block", "civil-registry", "", "ünïcödé", "日本", "x y"]
    static let hosts = ["registry.gov.example", "Registry.Gov.Example:8443", "[::1]:80", "", "ä.example"]
    static let paths = ["/", "/v1/persons/123?fields=name&x=%20", "/a/../b", "/a/%2e%2e/b", "", "/日本", "/a//b?"]
    static let addresses = ["10.1.2.3", "::1", "2001:db8::7", "not-an-address", "", "256.1.1.1"]
    static let values = [
        "Bearer eyJ.a.b", "text/html", "ä", "", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    ]
}

/// A small seeded generator (SplitMix64), so that every run generates the same requests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
