package command

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
)

// Attachment is a file attached to an incident (a photo from the scene, a report), kept in the
// database with it.
type Attachment struct {
	ID         int64     `json:"id"`
	Incident   int64     `json:"incident"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
}

// cleanName is an attachment's file name as stored: the last path element, without control
// characters, at most 200 characters.
func cleanName(name string) (string, error) {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), `\`, "/"))
	if !utf8.ValidString(name) {
		return "", spatial.Invalid("name", "the file name is not UTF-8")
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	if name == "" || name == "." || name == "/" {
		return "", spatial.Invalid("name", "an attachment needs a file name")
	}
	if r := []rune(name); len(r) > 200 {
		name = string(r[:200])
	}
	return name, nil
}

// Attach stores a file on an incident (open or closed: evidence may come late) and notes it in
// the timeline.
func (s *Store) Attach(ctx context.Context, incident int64, name, mediaType string, data []byte, who string) (*Attachment, error) {
	name, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 {
		return nil, spatial.Invalid("body", "the attachment is empty")
	}
	if mt, _, _ := strings.Cut(mediaType, ";"); mt == "" || mt == "application/octet-stream" || mt == "application/x-www-form-urlencoded" {
		mediaType = http.DetectContentType(data)
	}
	sum := sha256.Sum256(data)
	a := Attachment{Incident: incident, Name: name, MediaType: mediaType, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), UploadedBy: who}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var state string
	err = tx.QueryRow(ctx, `SELECT state FROM command.incident WHERE id = $1 FOR UPDATE`, incident).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, spatial.NotFound("incident %d", incident)
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := tx.QueryRow(ctx, `INSERT INTO command.attachment (incident_id, name, media_type, size, sha256, data, uploaded_by, uploaded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, uploaded_at`, incident, a.Name, a.MediaType, a.Size, a.SHA256, data, who, now).
		Scan(&a.ID, &a.UploadedAt); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO command.incident_event (incident_id, action, from_state, to_state, actor, note, detail, at)
		VALUES ($1, 'attach', $2, $2, $3, $4, $5, $6)`, incident, state, who, "附件 "+a.Name,
		map[string]any{"attachment": a.ID, "name": a.Name, "media_type": a.MediaType, "size": a.Size}, now); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE command.incident SET updated_at = $2 WHERE id = $1`, incident, now); err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, err
	}
	if _, err := s.changed(ctx, incident); err != nil {
		return nil, err
	}
	return &a, nil
}

const attachmentColumns = `id, incident_id, name, media_type, size, sha256, uploaded_by, uploaded_at`

func scanAttachment(row pgx.Row, extra ...any) (Attachment, error) {
	var a Attachment
	err := row.Scan(append([]any{&a.ID, &a.Incident, &a.Name, &a.MediaType, &a.Size, &a.SHA256, &a.UploadedBy, &a.UploadedAt}, extra...)...)
	return a, err
}

// Attachments lists an incident's attachments (without their bytes), oldest first.
func (s *Store) Attachments(ctx context.Context, incident int64) ([]Attachment, error) {
	if _, _, err := s.Incident(ctx, incident); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+attachmentColumns+` FROM command.attachment WHERE incident_id = $1 ORDER BY id`, incident)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Attachment, error) { return scanAttachment(r) })
}

// AttachmentData returns one attachment with its bytes.
func (s *Store) AttachmentData(ctx context.Context, incident, id int64) (Attachment, []byte, error) {
	var data []byte
	a, err := scanAttachment(s.pool.QueryRow(ctx, `SELECT `+attachmentColumns+`, data FROM command.attachment
		WHERE incident_id = $1 AND id = $2`, incident, id), &data)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, nil, spatial.NotFound("attachment %d of incident %d", id, incident)
	}
	return a, data, err
}
