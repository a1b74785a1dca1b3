-- +goose Up

-- API tokens (yitu token create). Only a SHA-256 of each token is stored: the token itself is shown
-- once, when it is created. A request carrying "Authorization: Bearer <token>" acts as the subject
-- with the roles; catalog.layer read_roles / write_roles name the roles a layer admits.
CREATE TABLE auth.token (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
    subject      text NOT NULL CHECK (subject <> ''),
    roles        text[] NOT NULL DEFAULT '{}',
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);
CREATE INDEX ON auth.token (subject);

-- +goose Down
DROP TABLE auth.token;
