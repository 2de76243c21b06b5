import Foundation
import Testing

@Suite("Source formatting")
struct FormattingTests {
    @Test("Every hand-written Swift file passes swift format lint --strict with the project's .swift-format")
    func lint() throws {
        let root = GatehouseProcess.repositoryRoot
        var files: [String] = []
        for top in ["Sources", "Tests"] {
            let enumerator = FileManager.default.enumerator(atPath: root.appendingPathComponent(top).path)
            while let path = enumerator?.nextObject() as? String {
                // Generated protobuf code and build folders are not ours to format.
                if path.contains("/Generated/") || path.contains(".build") || !path.hasSuffix(".swift") { continue }
                if path.hasSuffix("Package.swift") { continue }
                files.append("\(top)/\(path)")
            }
        }
        #expect(files.count > 50)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["swift", "format", "lint", "--strict"] + files
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "run `swift format format -i <file>`:\n\(output)")
    }
}
