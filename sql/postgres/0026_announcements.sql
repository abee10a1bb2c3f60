-- Announcements: prompts uploaded through the API (the Announcements
-- screen). The upload (WAV, MP3, Ogg Vorbis or FLAC) is decoded once and
-- stored as an 8 kHz 16-bit mono WAV under the data folder
-- (`announcements/<project_id>/<id>.wav` beside the recordings); the row is
-- written after the file is in place, so a crash never lists a half file.
-- `library_name` is the media library name menus, blacklist entries,
-- voicemail boxes and queues use to play it (`uploads/<project_id>/<id>`);
-- `format` is the original's (wav, mp3, ogg, flac) and `length_ms` the
-- converted audio's length. Portable SQL: the SQLite copy is the same
-- text.
CREATE TABLE announcements (
    id                  BIGINT  PRIMARY KEY,
    project_id          BIGINT  NOT NULL REFERENCES projects(id),
    name                TEXT    NOT NULL,
    library_name        TEXT    NOT NULL UNIQUE,
    format              TEXT    NOT NULL
                        CHECK (format IN ('wav', 'mp3', 'ogg', 'flac')),
    length_ms           BIGINT  NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);
