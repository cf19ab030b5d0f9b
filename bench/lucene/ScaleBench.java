import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.DocValues;
import org.apache.lucene.index.IndexOptions;
import org.apache.lucene.index.IndexReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.NumericDocValues;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

/**
 * Lucene's side of bench/scale.py, which compiles and runs it: builds an index of the passages
 * file, or answers the questions from that index, and prints what it measured as one JSON object.
 *
 * <p>build PASSAGES INDEX K1 B THREADS RAM_MB OFFSET:FIRST:COUNT... indexes each chunk's COUNT
 * lines, from byte OFFSET of the file, as documents numbered from line FIRST; THREADS threads take
 * the chunks in turn and feed one IndexWriter.
 *
 * <p>serve INDEX QUESTIONS K1 B REPETITIONS answers each line of QUESTIONS in five passes to warm
 * up, then REPETITIONS times timed; a hit is reported by its line number in the passages file.
 */
public final class ScaleBench {
  private static final String USAGE =
      "usage: ScaleBench build PASSAGES INDEX K1 B THREADS RAM_MB OFFSET:FIRST:COUNT...\n"
          + "       ScaleBench serve INDEX QUESTIONS K1 B REPETITIONS\n"
          + "(bench/scale.py runs it; run `python -m bench.scale` instead)";
  private static final String TEXT = "text";
  private static final String ROW = "row";
  private static final int DEPTH = 10;

  /** Terms with their frequencies and the length norm: what BM25 needs, as our index keeps. */
  private static final FieldType TEXT_TYPE = new FieldType();

  static {
    TEXT_TYPE.setIndexOptions(IndexOptions.DOCS_AND_FREQS);
    TEXT_TYPE.setTokenized(true);
    TEXT_TYPE.freeze();
  }

  private ScaleBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 8 && args[0].equals("build")) {
      build(args);
    } else if (args.length == 6 && args[0].equals("serve")) {
      serve(args);
    } else {
      System.err.println(USAGE);
      System.exit(2);
    }
  }

  private static void build(String[] args) throws Exception {
    Path passages = Paths.get(args[1]);
    Path index = Paths.get(args[2]);
    BM25Similarity similarity = similarity(args[3], args[4]);
    int threads = Integer.parseInt(args[5]);
    double ramMb = Double.parseDouble(args[6]);
    List<long[]> chunks = new ArrayList<>();
    for (int i = 7; i < args.length; i++) {
      String[] fields = args[i].split(":");
      chunks.add(
          new long[] {
            Long.parseLong(fields[0]), Long.parseLong(fields[1]), Long.parseLong(fields[2])
          });
    }

    long start = System.nanoTime();
    IndexWriterConfig config =
        new IndexWriterConfig(new IndonesianAnalyzer())
            .setSimilarity(similarity)
            .setRAMBufferSizeMB(ramMb)
            .setOpenMode(IndexWriterConfig.OpenMode.CREATE);
    long added;
    long closed;
    SegmentInfos committed;
    try (Directory directory = FSDirectory.open(index)) {
      IndexWriter writer = new IndexWriter(directory, config);
      AtomicInteger next = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Object>> feeders = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          feeders.add(
              pool.submit(
                  () -> {
                    addChunks(writer, passages, chunks, next);
                    return null;
                  }));
        }
        for (Future<Object> feeder : feeders) {
          feeder.get();
        }
      } finally {
        pool.shutdown();
      }
      added = System.nanoTime();
      // Flushes, waits for the background merges, commits: the index is then complete.
      writer.close();
      closed = System.nanoTime();
      committed = SegmentInfos.readLatestCommit(directory);
    }
    System.out.println(
        "{\"build\": "
            + seconds(closed - start)
            + ", \"add\": "
            + seconds(added - start)
            + ", \"close\": "
            + seconds(closed - added)
            + ", \"documents\": "
            + committed.totalMaxDoc()
            + ", \"segments\": "
            + committed.size()
            + ", "
            + versions()
            + "}");
  }

  /** Takes chunks until none is left, adding each line as a document numbered by its line. */
  private static void addChunks(
      IndexWriter writer, Path passages, List<long[]> chunks, AtomicInteger next)
      throws IOException {
    // One document and its fields per thread, refilled for each line (Lucene's advice for speed).
    Field text = new Field(TEXT, "", TEXT_TYPE);
    NumericDocValuesField row = new NumericDocValuesField(ROW, 0L);
    Document document = new Document();
    document.add(text);
    document.add(row);
    for (int i = next.getAndIncrement(); i < chunks.size(); i = next.getAndIncrement()) {
      long[] chunk = chunks.get(i);
      try (FileChannel channel = FileChannel.open(passages);
          BufferedReader lines =
              new BufferedReader(
                  new InputStreamReader(
                      Channels.newInputStream(channel.position(chunk[0])),
                      StandardCharsets.UTF_8),
                  1 << 16)) {
        for (long line = chunk[1]; line < chunk[1] + chunk[2]; line++) {
          String passage = lines.readLine();
          if (passage == null) {
            throw new IOException(passages + " ends before line " + line);
          }
          text.setStringValue(passage);
          row.setLongValue(line);
          writer.addDocument(document);
        }
      }
    }
  }

  // The JIT compiles the search's hot paths over the first passes, as it would early in a
  // server's life: at 100,000 passages p50 fell from 4.7 to about 2 ms within five passes.
  private static final int WARM_UP_PASSES = 5;

  private static void serve(String[] args) throws Exception {
    Path index = Paths.get(args[1]);
    List<String> questions = Files.readAllLines(Paths.get(args[2]), StandardCharsets.UTF_8);
    BM25Similarity similarity = similarity(args[3], args[4]);
    int repetitions = Integer.parseInt(args[5]);
    Analyzer analyzer = new IndonesianAnalyzer();

    long start = System.nanoTime();
    try (Directory directory = FSDirectory.open(index);
        DirectoryReader reader = DirectoryReader.open(directory)) {
      IndexSearcher searcher = new IndexSearcher(reader);
      searcher.setSimilarity(similarity);
      // Every timed pass must search, not find the previous pass's results cached.
      searcher.setQueryCache(null);
      int[] rows = rowsOf(reader);
      long opened = System.nanoTime();

      for (int pass = 0; pass < WARM_UP_PASSES; pass++) {
        for (String question : questions) {
          search(searcher, analyzer, rows, question);
        }
      }
      StringBuilder timings = new StringBuilder();
      List<ScoreDoc[]> last = new ArrayList<>();
      for (int pass = 0; pass < repetitions; pass++) {
        last.clear();
        for (String question : questions) {
          long began = System.nanoTime();
          ScoreDoc[] hits = search(searcher, analyzer, rows, question);
          long ended = System.nanoTime();
          timings.append(timings.length() == 0 ? "" : ", ").append(seconds(ended - began));
          last.add(hits);
        }
      }
      StringBuilder rankings = new StringBuilder();
      for (ScoreDoc[] hits : last) {
        rankings.append(rankings.length() == 0 ? "[" : ", [");
        for (int i = 0; i < hits.length; i++) {
          rankings.append(i == 0 ? "[" : ", [").append(hits[i].doc).append(", ");
          rankings.append(hits[i].score).append("]");
        }
        rankings.append("]");
      }
      System.out.println(
          "{\"open\": "
              + seconds(opened - start)
              + ", \"documents\": "
              + reader.numDocs()
              + ", \"seconds\": ["
              + timings
              + "], \"rankings\": ["
              + rankings
              + "], "
              + versions()
              + "}");
    }
  }

  /** The top hits of a question, each one's doc its line in the passages file. */
  private static ScoreDoc[] search(
      IndexSearcher searcher, Analyzer analyzer, int[] rows, String question)
      throws IOException {
    ScoreDoc[] hits = searcher.search(query(analyzer, question), DEPTH).scoreDocs;
    ScoreDoc[] found = new ScoreDoc[hits.length];
    for (int i = 0; i < hits.length; i++) {
      found[i] = new ScoreDoc(rows[hits[i].doc], hits[i].score);
    }
    return found;
  }

  /** Any of the question's terms, as the analyzer makes them from the question's text. */
  private static Query query(Analyzer analyzer, String question) throws IOException {
    BooleanQuery.Builder query = new BooleanQuery.Builder();
    try (TokenStream tokens = analyzer.tokenStream(TEXT, question)) {
      CharTermAttribute term = tokens.addAttribute(CharTermAttribute.class);
      tokens.reset();
      while (tokens.incrementToken()) {
        query.add(new TermQuery(new Term(TEXT, term.toString())), BooleanClause.Occur.SHOULD);
      }
      tokens.end();
    }
    return query.build();
  }

  /** The passages file's line of each document: the threads add lines in no fixed order. */
  private static int[] rowsOf(IndexReader reader) throws IOException {
    int[] rows = new int[reader.maxDoc()];
    for (LeafReaderContext leaf : reader.leaves()) {
      NumericDocValues values = DocValues.getNumeric(leaf.reader(), ROW);
      for (int doc = values.nextDoc();
          doc != DocIdSetIterator.NO_MORE_DOCS;
          doc = values.nextDoc()) {
        rows[leaf.docBase + doc] = (int) values.longValue();
      }
    }
    return rows;
  }

  private static BM25Similarity similarity(String k1, String b) {
    return new BM25Similarity(Float.parseFloat(k1), Float.parseFloat(b));
  }

  private static String seconds(long nanoseconds) {
    return Double.toString(nanoseconds / 1e9);
  }

  private static String versions() {
    return "\"lucene\": \""
        + Version.LATEST
        + "\", \"java\": \""
        + System.getProperty("java.version")
        + "\"";
  }
}
