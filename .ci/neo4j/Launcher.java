// Embedded Neo4j Community 5.26 with a Bolt connector, for tests only.
//
// Run as a Java 17 single-file program (needs a JDK, not a JRE), from this folder:
//   java <add-opens flags, see start.sh> -cp 'lib/*' Launcher.java HOME [PORT]
// HOME is the database home directory (created if missing), PORT defaults to 7687.
// Binds 127.0.0.1 only, auth disabled, 64 MiB page cache, no log preallocation.
// Prints "NEO4J_READY bolt://127.0.0.1:PORT" once started, then blocks until killed;
// SIGTERM/SIGINT run a shutdown hook that stops the database cleanly.

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public class Launcher {
    public static void main(String[] args) throws Exception {
        Path home = Path.of(args.length > 0 ? args[0] : "neo4j-home").toAbsolutePath();
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 7687;
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, 64L * 1024 * 1024)
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                // Internal settings (default 5 s each): without them a clean stop takes ~10 s.
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1))
                .build();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J_STOPPING");
            System.out.flush();
            dbms.shutdown();
        }, "neo4j-shutdown"));

        System.out.println("NEO4J_READY bolt://127.0.0.1:" + port);
        System.out.flush();
        Thread.currentThread().join();
    }
}
