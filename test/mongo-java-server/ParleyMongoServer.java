import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import java.util.List;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * A MongoDB-wire server with change streams, for the tests of Parley's change-stream path: mongo-java-server's
 * in-memory backend with its oplog on. Usage: java -cp 'lib/*' ParleyMongoServer.java <host> <port>.
 * Prints "listening <host>:<port>" once it accepts connections, and stops on SIGTERM.
 */
public class ParleyMongoServer {
    public static void main(String[] args) {
        String host = args.length > 0 ? args[0] : "127.0.0.1";
        int port = args.length > 1 ? Integer.parseInt(args[1]) : 27017;
        // The Node.js driver Parley uses needs wire version 9 (MongoDB 4.4) or later; the backend's own newest
        // setting says 8. Its commands are the same, so it says 4.4.
        MongoVersion version = new MongoVersion() {
            public List<Integer> getVersionArray() {
                return List.of(4, 4, 0);
            }

            public int getWireVersion() {
                return 9;
            }
        };
        MongoServer server = new MongoServer(new MemoryBackend().version(version));
        server.enableOplog();
        server.bind(host, port);
        Runtime.getRuntime().addShutdownHook(new Thread(server::shutdownNow));
        System.out.println("listening " + host + ":" + port);
        System.out.flush();
    }
}
