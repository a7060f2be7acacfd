// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "matchwire",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "matchwire", targets: ["matchwire"]),
        .library(name: "MatchwireCore", targets: ["MatchwireCore"]),
        .library(name: "MatchwireStore", targets: ["MatchwireStore"]),
        .library(name: "MatchwireServer", targets: ["MatchwireServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .target(name: "MatchwireCore"),
        .target(
            name: "MatchwireStore",
            dependencies: [
                "MatchwireCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MatchwireServer",
            dependencies: [
                "MatchwireCore",
                "MatchwireStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "matchwire",
            dependencies: [
                "MatchwireCore",
                "MatchwireStore",
                "MatchwireServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "MatchwireCoreTests",
            dependencies: ["MatchwireCore"],
            resources: [.copy("Resources")]
        ),
        .testTarget(
            name: "MatchwireStoreTests",
            dependencies: ["MatchwireCore", "MatchwireStore"]
        ),
        .testTarget(
            name: "MatchwireServerTests",
            dependencies: [
                "MatchwireCore",
                "MatchwireStore",
                "MatchwireServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
