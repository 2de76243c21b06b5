/// Checks and normalises the relative paths of bundle entries, so that nothing extracted from a
/// bundle lands outside its directory.
enum BundlePath {
    /// `path` as a bundle-relative name (`a/b.yaml`), or an `archive_unsafe` error.
    ///
    /// A leading `./` (what `tar -C dir .` writes) and a trailing `/` (directories) are dropped;
    /// absolute paths, `..`, `.`, empty components, backslashes and control characters are refused.
    static func normalize(_ path: String, entry: String) throws(BundleError) -> String {
        var text = Substring(path)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        while text.hasSuffix("/") && text.count > 1 { text = text.dropLast() }
        guard !text.isEmpty, text != "." else { return "" }
        if text.hasPrefix("/") {
            throw BundleError(
                .archiveUnsafe,
                "The \(entry) '\(Self.quoted(path))' is an absolute path; a bundle holds only relative paths.")
        }
        let components = text.split(separator: "/", omittingEmptySubsequences: false)
        for component in components {
            if component == ".." || component == "." || component.isEmpty {
                throw BundleError(
                    .archiveUnsafe,
                    "The \(entry) '\(Self.quoted(path))' has a '\(component)' or empty component, which could "
                        + "escape the bundle; rebuild it with 'gatehouse bundle build'.")
            }
            if component.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\\" || $0.value == 0x7F }) {
                throw BundleError(
                    .archiveUnsafe,
                    "The \(entry) '\(Self.quoted(path))' holds a control character or a backslash; rename the file.")
            }
        }
        return String(text)
    }

    /// Whether `name` is one of the two files the bundle format reserves at its root.
    static func isReserved(_ name: String) -> Bool {
        name == BundleLayout.manifestName || name == BundleLayout.signaturesName
    }

    /// `text` with control characters escaped, short enough for a message.
    static func quoted(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return out
    }
}

/// The files of a bundle read into memory: relative path → bytes, the reserved files included.
struct BundleFiles: Sendable {
    /// Every regular file, keyed by normalised relative path.
    private(set) var files: [String: [UInt8]] = [:]
    /// Directories named explicitly (by an archive entry), for the file/directory clash check.
    private(set) var directories: Set<String> = []
    private var totalBytes = 0
    let limits: BundleLimits

    init(limits: BundleLimits) { self.limits = limits }

    /// Every file name, sorted.
    var names: [String] { self.files.keys.sorted() }

    subscript(name: String) -> [UInt8]? { self.files[name] }

    /// Whether the next file of `size` bytes still fits the limits; call before reading it.
    func checkFits(_ name: String, size: Int) throws(BundleError) {
        if size > self.limits.maximumFileBytes {
            throw BundleError(
                .archiveTooLarge,
                "The file '\(BundlePath.quoted(name))' is \(size) bytes, over the per-file limit of "
                    + "\(self.limits.maximumFileBytes); split it or raise the limit.")
        }
        if self.totalBytes + size > self.limits.maximumTotalBytes {
            throw BundleError(
                .archiveTooLarge,
                "The bundle's files add up to more than \(self.limits.maximumTotalBytes) bytes (at '\(BundlePath.quoted(name))'); "
                    + "make the bundle smaller or raise the limit.")
        }
        if self.files.count + self.directories.count + 1 > self.limits.maximumFileCount {
            throw BundleError(
                .archiveTooLarge,
                "The bundle has more than \(self.limits.maximumFileCount) files and directories; "
                    + "make it smaller or raise the limit.")
        }
    }

    /// Adds a regular file; refuses a second entry with the same path.
    mutating func add(file name: String, bytes: [UInt8]) throws(BundleError) {
        try self.checkFits(name, size: bytes.count)
        if self.files[name] != nil || self.directories.contains(name) {
            throw BundleError(
                .duplicateEntry,
                "The bundle holds '\(BundlePath.quoted(name))' twice; a bundle lists each path once, rebuild it.")
        }
        self.files[name] = bytes
        self.totalBytes += bytes.count
    }

    /// Records a directory entry; a repeated directory is refused like a repeated file.
    mutating func add(directory name: String) throws(BundleError) {
        guard !name.isEmpty else { return }
        try self.checkFits(name, size: 0)
        if self.files[name] != nil || self.directories.contains(name) {
            throw BundleError(
                .duplicateEntry,
                "The bundle holds '\(BundlePath.quoted(name))' twice; a bundle lists each path once, rebuild it.")
        }
        self.directories.insert(name)
    }

    /// Refuses a file whose path is also used as a directory (`a` and `a/b`), which could not be extracted.
    func checkNoClash() throws(BundleError) {
        for name in self.files.keys {
            var parent = Substring(name)
            while let slash = parent.lastIndex(of: "/") {
                parent = parent[..<slash]
                if self.files[String(parent)] != nil {
                    throw BundleError(
                        .duplicateEntry,
                        "The bundle holds '\(BundlePath.quoted(String(parent)))' both as a file and as the directory of "
                            + "'\(BundlePath.quoted(name))'; rebuild it.")
                }
            }
        }
    }

    /// The bundle's files without the reserved ones.
    var contentNames: [String] { self.names.filter { !BundlePath.isReserved($0) } }
}
