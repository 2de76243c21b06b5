import GRPCCore
import NIOCore
import NIOHPACK
import SwiftProtobuf

/// gRPC over HTTP/2, as far as one unary method needs it (the gRPC "PROTOCOL-HTTP2" document):
/// a message is a 1-byte compression flag, a 4-byte big-endian length and the protobuf bytes;
/// the status travels in trailers (`grpc-status`, `grpc-message`).
enum GRPCMessageFraming {
    /// Why a request body is not one uncompressed message.
    enum FramingError: Error {
        case truncated
        case compressed
        case trailingBytes
    }

    /// The one message in a unary request body.
    static func message(in body: inout ByteBuffer) throws(FramingError) -> ByteBuffer {
        guard let flag = body.readInteger(as: UInt8.self), let length = body.readInteger(as: UInt32.self) else {
            throw .truncated
        }
        guard flag == 0 else { throw .compressed }
        guard let message = body.readSlice(length: Int(length)) else { throw .truncated }
        guard body.readableBytes == 0 else { throw .trailingBytes }
        return message
    }

    /// The length a body's prefix announces, once its five bytes have arrived.
    static func announcedLength(of body: ByteBuffer) -> Int? {
        guard let length = body.getInteger(at: body.readerIndex + 1, as: UInt32.self) else { return nil }
        return Int(length)
    }

    /// `message` serialized and framed.
    static func frame(_ message: some SwiftProtobuf.Message, allocator: ByteBufferAllocator) throws -> ByteBuffer {
        let bytes: [UInt8] = try message.serializedBytes()
        var buffer = allocator.buffer(capacity: 5 + bytes.count)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(bytes.count))
        buffer.writeBytes(bytes)
        return buffer
    }

    /// The response headers of a successful call.
    static let responseHeaders: HPACKHeaders = [":status": "200", "content-type": "application/grpc"]

    /// The trailers of a successful call, built once.
    static let okTrailers = Self.trailers(.ok)

    /// Trailers with `status`, and `message` when given.
    static func trailers(_ status: Status.Code, message: String? = nil) -> HPACKHeaders {
        var trailers: HPACKHeaders = ["grpc-status": String(status.rawValue)]
        if let message { trailers.add(name: "grpc-message", value: Self.percentEncoded(message)) }
        return trailers
    }

    /// A trailers-only response: status 200, the gRPC content type and the status, in one HEADERS frame.
    static func trailersOnly(_ status: Status.Code, message: String) -> HPACKHeaders {
        var headers = Self.responseHeaders
        headers.add(contentsOf: Self.trailers(status, message: message))
        return headers
    }

    /// The duration a `grpc-timeout` header value gives: 1 to 8 ASCII digits and a unit (`H`
    /// hours, `M` minutes, `S` seconds, `m` milliseconds, `u` microseconds, `n` nanoseconds).
    static func timeout(_ value: String) -> TimeAmount? {
        let utf8 = Array(value.utf8)
        guard utf8.count >= 2, utf8.count <= 9, let unit = utf8.last else { return nil }
        var amount: Int64 = 0
        for digit in utf8.dropLast() {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            amount = amount * 10 + Int64(digit - UInt8(ascii: "0"))
        }
        switch unit {
        case UInt8(ascii: "H"): return .hours(amount)
        case UInt8(ascii: "M"): return .minutes(amount)
        case UInt8(ascii: "S"): return .seconds(amount)
        case UInt8(ascii: "m"): return .milliseconds(amount)
        case UInt8(ascii: "u"): return .microseconds(amount)
        case UInt8(ascii: "n"): return .nanoseconds(amount)
        default: return nil
        }
    }

    /// `grpc-message` is percent-encoded outside printable ASCII (and `%` itself).
    private static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return encoded
    }
}
