private import CZlib

/// gzip (RFC 1952) through the system's zlib: a single-member stream in, bounded output.
enum Gzip {
    /// Inflates one gzip member, refusing more than `limit` output bytes (a decompression bomb),
    /// a damaged or truncated stream, and bytes after the member's end.
    static func decompress(_ input: [UInt8], limit: Int) throws(BundleError) -> [UInt8] {
        var stream = z_stream()
        // windowBits 15 + 16: a gzip header and trailer, not zlib's or raw deflate.
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw BundleError(.archiveCorrupt, "zlib could not start inflating; this is a bug, please report it.")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        var input = input
        let consumed: Int = input.withUnsafeMutableBufferPointer { inBuffer -> Int in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            while status == Z_OK {
                status = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                if output.count + produced > limit {
                    status = Z_MEM_ERROR
                    output.removeAll()
                    return -1
                }
                output.append(contentsOf: chunk[0..<produced])
                // Z_BUF_ERROR with input left means no progress was possible: truncated.
                if status == Z_BUF_ERROR { break }
            }
            return inBuffer.count - Int(stream.avail_in)
        }
        if consumed < 0 {
            throw BundleError(
                .archiveTooLarge,
                "The archive inflates to more than \(limit) bytes (a decompression bomb, or a bundle over the size "
                    + "limit); make the bundle smaller or raise the limit.")
        }
        guard status == Z_STREAM_END else {
            let what = status == Z_BUF_ERROR ? "ends before its gzip stream does (truncated)" : "is not valid gzip"
            throw BundleError(
                .archiveCorrupt, "The archive \(what); rebuild it with 'gatehouse bundle build' or 'tar -czf'.")
        }
        guard consumed == input.count else {
            throw BundleError(
                .archiveCorrupt,
                "The archive has \(input.count - consumed) bytes after its gzip stream; rebuild it as one .tar.gz.")
        }
        return output
    }

    /// Deflates `input` into one gzip member: best compression, and zlib's default header (no
    /// name, mtime 0), so the same input always gives the same bytes.
    static func compress(_ input: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        let started = deflateInit2_(
            &stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        // Fails only for bad arguments (ours are constants) or no memory.
        precondition(started == Z_OK, "deflateInit2_ failed: \(started)")
        defer { deflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var input = input
        input.withUnsafeMutableBufferPointer { inBuffer in
            stream.next_in = inBuffer.baseAddress
            stream.avail_in = UInt32(inBuffer.count)
            var status: Int32 = Z_OK
            while status == Z_OK {
                status = chunk.withUnsafeMutableBufferPointer { outBuffer in
                    stream.next_out = outBuffer.baseAddress
                    stream.avail_out = UInt32(outBuffer.count)
                    return deflate(&stream, Z_FINISH)
                }
                output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
            }
            precondition(status == Z_STREAM_END, "deflate failed: \(status)")
        }
        return output
    }
}
