"""Named, ordered schema migrations (as simonw/llm does).

Each migration runs once, inside a transaction, and is recorded by name in
``_migrations``. Never edit a migration that has shipped: add a new one.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, text

MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = []


def migration(fn: Callable[[Connection], None]) -> Callable[[Connection], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def is_sqlite(conn: Connection) -> bool:
    return conn.dialect.name == "sqlite"


def ddl(conn: Connection, sql: str) -> None:
    """Run DDL written for SQLite, translated for PostgreSQL where types differ."""
    if not is_sqlite(conn):
        sql = (sql.replace("INTEGER PRIMARY KEY", "BIGSERIAL PRIMARY KEY").replace("BLOB", "BYTEA")
               .replace("FLOAT", "DOUBLE PRECISION").replace("INTEGER NOT NULL REFERENCES", "BIGINT NOT NULL REFERENCES"))
    conn.exec_driver_sql(sql)


@migration
def m001_initial(conn: Connection) -> None:
    ddl(conn, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    ddl(conn,
        """CREATE TABLE media (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            root TEXT NOT NULL,
            kind TEXT,
            size BIGINT NOT NULL,
            mtime_ns BIGINT NOT NULL,
            inode BIGINT,
            content_hash TEXT,
            status TEXT NOT NULL DEFAULT 'ok',
            reason TEXT,
            width INTEGER,
            height INTEGER,
            duration FLOAT,
            taken_at FLOAT,
            created_at FLOAT NOT NULL,
            updated_at FLOAT NOT NULL
        )"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_media_root ON media (root)")
    conn.exec_driver_sql("CREATE INDEX ix_media_content_hash ON media (content_hash)")
    ddl(conn,
        """CREATE TABLE segment (
            id INTEGER PRIMARY KEY,
            media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
            t_start FLOAT,
            t_end FLOAT,
            source TEXT NOT NULL,
            text TEXT,
            vector BLOB NOT NULL
        )"""
    )
    conn.exec_driver_sql("CREATE INDEX ix_segment_media_id ON segment (media_id)")
    conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('generation', '0')")


@migration
def m002_fulltext(conn: Connection) -> None:
    """Full-text index (FTS5) over file names, folder names, segment text
    (tags, transcripts) and captions, one row per segment, kept in step by
    triggers so every write path (and every rename) updates it in the same
    transaction. ms_name/ms_folders are SQL functions registered by db.py."""
    ddl(conn,
        """CREATE TABLE caption (
            id INTEGER PRIMARY KEY,
            segment_id INTEGER NOT NULL REFERENCES segment(id) ON DELETE CASCADE,
            captioner TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at FLOAT NOT NULL,
            UNIQUE (segment_id, captioner)
        )""")
    if not is_sqlite(conn):
        # PostgreSQL: full-text queries build tsvectors on the fly (catalog.lexical).
        return
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE segment_fts USING fts5(name, folders, text, caption, "
        "tokenize = 'unicode61 remove_diacritics 2')")
    conn.exec_driver_sql(
        """CREATE TRIGGER segment_fts_insert AFTER INSERT ON segment BEGIN
            INSERT INTO segment_fts (rowid, name, folders, text, caption)
            SELECT NEW.id, ms_name(m.path), ms_folders(m.path, m.root), NEW.text, ''
            FROM media m WHERE m.id = NEW.media_id;
        END""")
    conn.exec_driver_sql(
        """CREATE TRIGGER segment_fts_delete AFTER DELETE ON segment BEGIN
            DELETE FROM segment_fts WHERE rowid = OLD.id;
        END""")
    conn.exec_driver_sql(
        """CREATE TRIGGER segment_fts_rename AFTER UPDATE OF path, root ON media BEGIN
            UPDATE segment_fts SET name = ms_name(NEW.path), folders = ms_folders(NEW.path, NEW.root)
            WHERE rowid IN (SELECT id FROM segment WHERE media_id = NEW.id);
        END""")
    conn.exec_driver_sql(
        """CREATE TRIGGER caption_fts AFTER INSERT ON caption BEGIN
            UPDATE segment_fts SET caption = trim(caption || ' ' || NEW.text) WHERE rowid = NEW.segment_id;
        END""")
    conn.exec_driver_sql(
        """INSERT INTO segment_fts (rowid, name, folders, text, caption)
           SELECT s.id, ms_name(m.path), ms_folders(m.path, m.root), s.text, ''
           FROM segment s JOIN media m ON m.id = s.media_id""")


@migration
def m003_claims(conn: Connection) -> None:
    """Files being worked on, so several indexers sharing one catalog
    (PostgreSQL) never embed the same file twice."""
    ddl(conn, "CREATE TABLE claim (path TEXT PRIMARY KEY, owner TEXT NOT NULL, at FLOAT NOT NULL)")


@migration
def m004_change_log(conn: Connection) -> None:
    """Which segment ids each generation added and removed, so a long-lived
    reader (the web server) follows a writer in another process by applying
    the changes, not by reloading every vector. Old entries are pruned."""
    ddl(conn, "CREATE TABLE change_log (generation INTEGER PRIMARY KEY, added BLOB NOT NULL, removed BLOB NOT NULL)")


@migration
def m005_pg_word_index(conn: Connection) -> None:
    """PostgreSQL word search from a stored, GIN-indexed tsvector per segment
    (name weighted A, folders B, tags/transcript/captions D), kept in step by
    triggers like SQLite's FTS5 table, instead of tsvectors built per query
    (a full scan: fine for thousands of files, slow for millions)."""
    if is_sqlite(conn):
        return  # SQLite has segment_fts (m002)
    conn.exec_driver_sql("ALTER TABLE segment ADD COLUMN words tsvector")
    conn.exec_driver_sql(
        """CREATE FUNCTION ms_words(path TEXT, body TEXT, seg BIGINT) RETURNS tsvector
           LANGUAGE sql STABLE AS $$
             SELECT setweight(to_tsvector('simple', regexp_replace(regexp_replace(path, '^.*/', ''),
                                                                   '[_.+-]+', ' ', 'g')), 'A')
                 || setweight(to_tsvector('simple', regexp_replace(regexp_replace(path, '/[^/]*$', ''),
                                                                   '[/_.+-]+', ' ', 'g')), 'B')
                 || to_tsvector('simple', coalesce(body, '') || ' ' || coalesce(
                      (SELECT string_agg(c.text, ' ') FROM caption c WHERE c.segment_id = seg), ''))
           $$""")
    conn.exec_driver_sql(
        """CREATE FUNCTION ms_segment_words() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             NEW.words := ms_words((SELECT path FROM media WHERE id = NEW.media_id), NEW.text, NEW.id);
             RETURN NEW;
           END $$""")
    conn.exec_driver_sql(
        "CREATE TRIGGER segment_words BEFORE INSERT OR UPDATE OF text, media_id ON segment "
        "FOR EACH ROW EXECUTE FUNCTION ms_segment_words()")
    conn.exec_driver_sql(
        """CREATE FUNCTION ms_media_words() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             UPDATE segment SET words = ms_words(NEW.path, text, id) WHERE media_id = NEW.id;
             RETURN NULL;
           END $$""")
    conn.exec_driver_sql(
        "CREATE TRIGGER media_words AFTER UPDATE OF path ON media "
        "FOR EACH ROW EXECUTE FUNCTION ms_media_words()")
    conn.exec_driver_sql(
        """CREATE FUNCTION ms_caption_words() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             UPDATE segment s SET words = ms_words(m.path, s.text, s.id)
               FROM media m WHERE s.id = NEW.segment_id AND m.id = s.media_id;
             RETURN NULL;
           END $$""")
    conn.exec_driver_sql(
        "CREATE TRIGGER caption_words AFTER INSERT ON caption "
        "FOR EACH ROW EXECUTE FUNCTION ms_caption_words()")
    conn.exec_driver_sql(
        "UPDATE segment s SET words = ms_words(m.path, s.text, s.id) FROM media m WHERE m.id = s.media_id")
    conn.exec_driver_sql("CREATE INDEX ix_segment_words ON segment USING GIN (words)")


@migration
def m006_missing_files(conn: Connection) -> None:
    """Files the daemon saw vanish are held (status offline, ``missing_since``)
    before they are deleted, so a root that disappears gradually is judged
    whole, not batch by batch; ``prior_status``/``prior_reason`` keep what a
    file was (a recorded failure) while it is offline, so it comes back as it
    was."""
    ddl(conn, "ALTER TABLE media ADD COLUMN missing_since FLOAT")
    ddl(conn, "ALTER TABLE media ADD COLUMN prior_status TEXT")
    ddl(conn, "ALTER TABLE media ADD COLUMN prior_reason TEXT")
    conn.exec_driver_sql("CREATE INDEX ix_media_missing ON media (missing_since)")


@migration
def m007_sentence_spans(conn: Connection) -> None:
    """A transcript window (the embedded unit, up to 15 s) keeps the times of
    the sentences in it, as JSON [[start, end, text], ...], so a hit opens at
    the sentence that matched, not at the start of its window."""
    ddl(conn, "ALTER TABLE segment ADD COLUMN spans TEXT")


@migration
def m008_signatures(conn: Connection) -> None:
    """A picture's perceptual signature (eight 64-bit DCT hashes, one per
    orientation), for near-duplicates: robust to resizing, recompression,
    rotation and mirroring, which content hashes are not."""
    ddl(conn, "ALTER TABLE media ADD COLUMN signature BLOB")


@migration
def m009_ocr_state(conn: Connection) -> None:
    """Whether a file's pixels were read for words. Files indexed before OCR
    (or with it off) stay NULL: the catch-up job reads them later, without
    embedding their pictures again."""
    ddl(conn, "ALTER TABLE media ADD COLUMN ocr TEXT")


@migration
def m010_sound_state(conn: Connection) -> None:
    """Whether a recording's or a video's sound was listened to for events;
    NULL rows are the sound catch-up's work."""
    ddl(conn, "ALTER TABLE media ADD COLUMN sounds TEXT")


@migration
def m011_people(conn: Connection) -> None:
    """Faces found in pictures and video frames (box as fractions of the
    picture, five landmarks, quality, dlib's 128-d descriptor) and the people they are
    grouped into. A person's name and centre live on the person, so a name
    outlives its faces (a --rebuild finds them again and they rejoin it);
    ``how`` says why a face is where it is (joined by distance, or put there
    by the user), ``not_people`` whom the user said it is not. ``media.faces``
    is the stage's state (NULL: not looked at yet)."""
    ddl(conn, """CREATE TABLE person (
            id INTEGER PRIMARY KEY,
            name TEXT,
            hidden INTEGER NOT NULL DEFAULT 0,
            centre BLOB,
            created_at FLOAT NOT NULL
        )""")
    ddl(conn, """CREATE TABLE face (
            id INTEGER PRIMARY KEY,
            media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
            t FLOAT,
            x FLOAT NOT NULL,
            y FLOAT NOT NULL,
            w FLOAT NOT NULL,
            h FLOAT NOT NULL,
            size INTEGER NOT NULL,
            landmarks TEXT,
            quality FLOAT NOT NULL,
            good INTEGER NOT NULL,
            descriptor BLOB NOT NULL,
            person_id INTEGER REFERENCES person(id) ON DELETE SET NULL,
            how TEXT,
            not_people TEXT
        )""")
    conn.exec_driver_sql("CREATE INDEX ix_face_media_id ON face (media_id)")
    conn.exec_driver_sql("CREATE INDEX ix_face_person_id ON face (person_id)")
    ddl(conn, "ALTER TABLE media ADD COLUMN faces TEXT")


@migration
def m012_event_edits(conn: Connection) -> None:
    """What the user said of events: a name, two events that are one, an
    event split before a file. Kept by the files' content hashes, so the
    edits outlive moves and a --rebuild (which gives files new ids)."""
    ddl(conn, """CREATE TABLE event_edit (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            file_hash TEXT NOT NULL,
            other_hash TEXT,
            name TEXT,
            at FLOAT NOT NULL
        )""")


@migration
def m013_positions(conn: Connection) -> None:
    """Where a picture or video was taken (GPS, degrees), for the map;
    files indexed before keep NULL until indexed again."""
    ddl(conn, "ALTER TABLE media ADD COLUMN lat FLOAT")
    ddl(conn, "ALTER TABLE media ADD COLUMN lon FLOAT")


@migration
def m014_segment_texts(conn: Connection) -> None:
    """The segments' texts in an index of their own, by source and id: a word
    looked for inside longer words of read text (words.py) scanned every
    segment row, vectors and all (135 ms a query at 100k files, 400 ms for a
    Chinese word); it now reads read text alone, or the texts alone."""
    ddl(conn, "CREATE INDEX ix_segment_text ON segment (source, id, media_id, text) WHERE text IS NOT NULL")


@migration
def m015_when_index(conn: Connection) -> None:
    """When each file was taken (EXIF, else its modification time; the
    expression of catalog/filtering.py's WHEN), indexed: a list by date of a
    million files sorted them all (about 1 s a query)."""
    expr = "coalesce(taken_at, CAST(mtime_ns AS FLOAT) * 1e-9)"
    ddl(conn, f"CREATE INDEX ix_media_when ON media ({expr})" if is_sqlite(conn)
        else f"CREATE INDEX ix_media_when ON media (({expr}))")


def applied(conn: Connection) -> set[str]:
    conn.exec_driver_sql(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at DOUBLE PRECISION NOT NULL)"
    )
    return {row[0] for row in conn.exec_driver_sql("SELECT name FROM _migrations")}


def migrate(conn: Connection) -> list[str]:
    """Apply pending migrations on ``conn`` (inside its transaction)."""
    if not is_sqlite(conn):  # several processes may start at once: one migrates
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4242)")
    done = applied(conn)
    ran = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        fn(conn)
        conn.execute(
            text("INSERT INTO _migrations (name, applied_at) VALUES (:n, :t)"),
            {"n": name, "t": time.time()},
        )
        ran.append(name)
    return ran


SCHEMA_VERSION = len(MIGRATIONS)
