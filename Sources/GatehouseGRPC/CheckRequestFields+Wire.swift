import EnvoyAuthAPI
import GatehouseCore
import SwiftProtobuf

/// Reading a `CheckRequest` straight from its encoding, without swift-protobuf's message.
///
/// On a cached check, decoding the message and copying it into the request model was a quarter
/// of Gatehouse's CPU (Tests/Benchmarks/README.md, issue #15): every message's storage object,
/// the `headers` map built and then rebuilt as the model's headers, the message bytes copied
/// into an array first. This reader walks the bytes once and keeps only what
/// ``CheckRequestFields`` holds.
///
/// It gives the same fields as swift-protobuf's message for every encoding it accepts, and
/// accepts only encodings it reads exactly as swift-protobuf does: anything else (a singular
/// field sent twice, which protobuf merges; a wrong wire type; a group; invalid UTF-8 in any
/// string field, read or not; an upper-case name in the `headers` map; …) returns `nil`, and the
/// caller decodes with swift-protobuf, which reads it or refuses it. Fields Gatehouse does not
/// read are checked as swift-protobuf checks them: strings for UTF-8, `metadata_context` and
/// `route_metadata_context` by swift-protobuf itself when not empty. Unknown fields are skipped,
/// as swift-protobuf keeps them unread. `CheckRequestReaderTests` compares both decoders over
/// generated and mutated encodings.
extension CheckRequestFields {
    private typealias Reader = ProtobufWireReader
    private typealias Unusual = ProtobufWireReader.Unusual

    /// The fields of the encoded `CheckRequest` in `bytes`; `nil` when swift-protobuf must read it.
    init?(encoded bytes: UnsafeRawBufferPointer) {
        self.init()
        do {
            var reader = Reader(bytes)
            var seen = ProtobufFieldsSeen()
            while let (number, type) = try reader.nextField() {
                if number == 1 {
                    try seen.insert(number)
                    var attributes = try reader.message(type)
                    try self.readAttributes(&attributes)
                } else {
                    try reader.skip(type)
                }
            }
        } catch {
            return nil
        }
    }

    private mutating func readAttributes(_ reader: inout Reader) throws(Unusual) {
        var seen = ProtobufFieldsSeen()
        while let (number, type) = try reader.nextField() {
            switch number {
            case 1, 2, 4, 11, 12, 13:
                try seen.insert(number)
                var message = try reader.message(type)
                switch number {
                case 1: self.source = try Self.readPeer(&message)
                case 2: self.destination = try Self.readPeer(&message)
                case 4: try self.readRequest(&message)
                case 12: try Self.readStrings(&message, fields: 1)  // TLSSession: sni
                default: try Self.checkMetadata(&message)
                }
            case 10:
                var entry = try reader.message(type)
                let pair = try Self.readMapEntry(&entry)
                self.contextExtensions[pair.key] = pair.value
            default:
                try reader.skip(type)
            }
        }
    }

    private mutating func readRequest(_ reader: inout Reader) throws(Unusual) {
        var seen = ProtobufFieldsSeen()
        while let (number, type) = try reader.nextField() {
            switch number {
            case 1:
                try seen.insert(number)
                var timestamp = try reader.message(type)
                self.time = try Self.readTimestamp(&timestamp)
            case 2:
                try seen.insert(number)
                var http = try reader.message(type)
                try self.readHTTP(&http)
                self.isHTTP = true
            default:
                try reader.skip(type)
            }
        }
    }

    private mutating func readHTTP(_ reader: inout Reader) throws(Unusual) {
        var seen = ProtobufFieldsSeen()
        var map: [String: String] = [:]
        var pairs: [(String, String)]? = nil
        while let (number, type) = try reader.nextField() {
            switch number {
            case 3:
                var entry = try reader.message(type)
                let pair = try Self.readMapEntry(&entry)
                // Upper-case names are lower-cased and merged in the map's order, which differs
                // between two dictionaries: swift-protobuf's reading is the only one.
                guard !pair.key.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { throw Unusual() }
                map[pair.key] = pair.value
                continue
            case 13:
                try seen.insert(number)
                var headerMap = try reader.message(type)
                pairs = try Self.readHeaderMap(&headerMap)
                continue
            case 1...12:
                try seen.insert(number)
            default:
                try reader.skip(type)
                continue
            }
            switch number {
            case 2: self.method = try reader.string(type)
            case 4: self.path = try reader.string(type)
            case 5: self.host = try reader.string(type)
            case 6: self.scheme = try reader.string(type)
            case 10: self.protocolName = try reader.string(type)
            case 9: _ = try reader.varint(type)  // size
            case 12: _ = try reader.bytes(type)  // raw_body
            default: try reader.skipString(type)  // id, query, fragment, body
            }
        }
        if let pairs {
            self.headers = HTTPHeaders(pairs)
        } else {
            self.headers = HTTPHeaders(singleValued: map)
        }
    }

    private static func readHeaderMap(_ reader: inout Reader) throws(Unusual) -> [(String, String)] {
        var pairs: [(String, String)] = []
        while let (number, type) = try reader.nextField() {
            guard number == 1 else {
                try reader.skip(type)
                continue
            }
            var header = try reader.message(type)
            var seen = ProtobufFieldsSeen()
            var key = ""
            var value = ""
            var raw = UnsafeRawBufferPointer(start: nil, count: 0)
            while let (number, type) = try header.nextField() {
                switch number {
                case 1:
                    try seen.insert(number)
                    key = try header.string(type)
                case 2:
                    try seen.insert(number)
                    value = try header.string(type)
                case 3:
                    try seen.insert(number)
                    raw = try header.bytes(type)
                default:
                    try header.skip(type)
                }
            }
            pairs.append((key, Self.headerValue(value, raw: raw)))
        }
        return pairs
    }

    private static func readPeer(_ reader: inout Reader) throws(Unusual) -> Peer {
        var seen = ProtobufFieldsSeen()
        var socketAddress: String? = nil
        var port: UInt32? = nil
        var service = ""
        var principal = ""
        var certificate = ""
        var labels: [String: String] = [:]
        while let (number, type) = try reader.nextField() {
            switch number {
            case 1:
                try seen.insert(number)
                var address = try reader.message(type)
                (socketAddress, port) = try Self.readAddress(&address)
            case 2:
                try seen.insert(number)
                service = try reader.string(type)
            case 3:
                var entry = try reader.message(type)
                let pair = try Self.readMapEntry(&entry)
                labels[pair.key] = pair.value
            case 4:
                try seen.insert(number)
                principal = try reader.string(type)
            case 5:
                try seen.insert(number)
                certificate = try reader.string(type)
            default:
                try reader.skip(type)
            }
        }
        return Peer(
            envoySocketAddress: socketAddress, port: port, principal: principal, certificate: certificate,
            service: service, labels: labels)
    }

    /// An `Address`: its socket address and port when that is the oneof's (last) case.
    private static func readAddress(_ reader: inout Reader) throws(Unusual) -> (String?, UInt32?) {
        var seen = ProtobufFieldsSeen()
        var socket: (String?, UInt32?) = (nil, nil)
        while let (number, type) = try reader.nextField() {
            switch number {
            case 1:
                try seen.insert(number)
                var message = try reader.message(type)
                socket = try Self.readSocketAddress(&message)
            case 2:
                try seen.insert(number)
                var pipe = try reader.message(type)
                try Self.readStrings(&pipe, fields: 1, varints: 2)  // path, mode
                socket = (nil, nil)
            case 3:
                try seen.insert(number)
                var envoyInternal = try reader.message(type)
                try Self.readStrings(&envoyInternal, fields: 1, 2)  // server_listener_name, endpoint_id
                socket = (nil, nil)
            default:
                try reader.skip(type)
            }
        }
        return socket
    }

    private static func readSocketAddress(_ reader: inout Reader) throws(Unusual) -> (String?, UInt32?) {
        var seen = ProtobufFieldsSeen()
        var address = ""
        var port: UInt32? = nil
        while let (number, type) = try reader.nextField() {
            guard number <= 7 else {
                try reader.skip(type)
                continue
            }
            try seen.insert(number)
            switch number {
            case 2: address = try reader.string(type)
            // `port_specifier` is a oneof: the last of port_value and named_port sent is the one.
            case 3: port = UInt32(truncatingIfNeeded: try reader.varint(type))
            case 4:
                try reader.skipString(type)
                port = nil
            case 1, 6: _ = try reader.varint(type)  // protocol, ipv4_compat
            default: try reader.skipString(type)  // resolver_name, network_namespace_filepath
            }
        }
        return (address, port)
    }

    private static func readTimestamp(_ reader: inout Reader) throws(Unusual) -> UnixTime {
        var seen = ProtobufFieldsSeen()
        var seconds: Int64 = 0
        var nanos: Int32 = 0
        while let (number, type) = try reader.nextField() {
            switch number {
            case 1:
                try seen.insert(number)
                seconds = Int64(bitPattern: try reader.varint(type))
            case 2:
                try seen.insert(number)
                nanos = Int32(truncatingIfNeeded: try reader.varint(type))
            default:
                try reader.skip(type)
            }
        }
        return Self.time(seconds: seconds, nanos: nanos)
    }

    /// One entry of a `map<string, string>`.
    private struct MapEntry {
        var key = ""
        var value = ""
    }

    /// A `map<string, string>` entry; a missing key or value is empty, as in protobuf. (A struct,
    /// not a tuple: a tuple result of a typed-throws function cost a metadata lookup a call.)
    private static func readMapEntry(_ reader: inout Reader) throws(Unusual) -> MapEntry {
        var seen = ProtobufFieldsSeen()
        var entry = MapEntry()
        while let (number, type) = try reader.nextField() {
            switch number {
            case 1:
                try seen.insert(number)
                entry.key = try reader.string(type)
            case 2:
                try seen.insert(number)
                entry.value = try reader.string(type)
            default:
                try reader.skip(type)
            }
        }
        return entry
    }

    /// Checks a message Gatehouse does not read whose known fields are the string fields `fields`
    /// and the varint fields `varints`, each sent at most once.
    private static func readStrings(
        _ reader: inout Reader, fields: UInt32..., varints: UInt32...
    ) throws(Unusual) {
        var seen = ProtobufFieldsSeen()
        while let (number, type) = try reader.nextField() {
            if fields.contains(number) {
                try seen.insert(number)
                try reader.skipString(type)
            } else if varints.contains(number) {
                try seen.insert(number)
                _ = try reader.varint(type)
            } else {
                try reader.skip(type)
            }
        }
    }

    /// Checks a `Metadata`, which Gatehouse does not read, as swift-protobuf would: by decoding it
    /// (Envoy sends it empty unless `metadata_context_namespaces` names some).
    private static func checkMetadata(_ reader: inout Reader) throws(Unusual) {
        guard !reader.isAtEnd else { return }
        var options = BinaryDecodingOptions()
        // Stricter than inside the whole message, where it is nested two levels deeper: what
        // this refuses, swift-protobuf then reads or refuses with the whole message.
        options.messageDepthLimit -= 4
        do {
            _ = try Envoy_Config_Core_V3_Metadata(serializedBytes: Array(reader.remainingBytes()), options: options)
        } catch {
            throw Unusual()
        }
    }
}
