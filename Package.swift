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
        .library(name: "MatchwireClient", targets: ["MatchwireClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        .target(name: "MatchwireCore"),
        .target(
            name: "MatchwireClient",
            dependencies: [
                "MatchwireCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "MatchwireStore",
            dependencies: [
                "MatchwireCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "MatchwireServer",
            dependencies: [
                "MatchwireCore",
                "MatchwireStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The OpenAPI document and the match centre's files, compiled into the binary (never read from disk).
            resources: [
                .embedInCode("Resources/openapi.json"),
                .embedInCode("Resources/web/index.html"), .embedInCode("Resources/web/match.html"),
                .embedInCode("Resources/web/matchcentre.css"), .embedInCode("Resources/web/common.js"),
                .embedInCode("Resources/web/index.js"), .embedInCode("Resources/web/match.js"),
                .embedInCode("Resources/web/model.js"), .embedInCode("Resources/web/stream.js"),
            ]
        ),
        .executableTarget(
            name: "matchwire",
            dependencies: [
                "MatchwireCore",
                "MatchwireStore",
                "MatchwireServer",
                "MatchwireClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .target(name: "LoadStatistics", path: "Benchmarks/LoadStatistics"),
        .target(name: "PostgresTestCluster", path: "Tests/PostgresTestCluster"),
        .executableTarget(
            name: "matchwire-load",
            dependencies: [
                "LoadStatistics",
                "MatchwireCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/LoadGenerator"
        ),
        // Counts the heap allocations of live delivery for DeliveryBudgetTests, which runs it with the interposer
        // preloaded (its counters are the whole process's: a test run beside other tests could not read them).
        .executableTarget(
            name: "matchwire-delivery-budget",
            dependencies: [
                "MatchwireCore",
                "MatchwireStore",
                "MatchwireServer",
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tests/DeliveryBudgetProbe"
        ),
        .testTarget(name: "LoadStatisticsTests", dependencies: ["LoadStatistics"]),
        .testTarget(
            name: "MatchwireCoreTests",
            dependencies: ["MatchwireCore"],
            resources: [.copy("Resources")]
        ),
        .testTarget(
            name: "MatchwireSimulatorTests",
            dependencies: ["MatchwireCore"]
        ),
        .testTarget(
            name: "MatchwireClientTests",
            dependencies: ["MatchwireCore", "MatchwireClient"]
        ),
        .testTarget(
            name: "MatchwireStoreTests",
            dependencies: [
                "MatchwireCore", "MatchwireStore", "PostgresTestCluster",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "MatchwireServerTests",
            dependencies: [
                "MatchwireCore",
                "MatchwireClient",
                "MatchwireStore",
                "MatchwireServer",
                "PostgresTestCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
    ]
)
