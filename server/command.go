package server

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/command"
	"github.com/yitu-gis/yitu/spatial"
)

// The incident closed loop (package command): /command/incidents.
func (s *Server) registerCommand() {
	if s.deps.Command == nil {
		return
	}
	s.addRoutes([]apiRoute{
		{method: "GET", path: "/command/incidents", id: "getIncidents", summary: "Incidents, newest first 事件列表", params: []string{"incident-type", "incident-state", "bbox", "from", "to", "overdue"}, responses: map[int]string{200: mediaJSON, 400: "", 401: ""}, handler: s.incidents},
		{method: "POST", path: "/command/incidents", id: "postIncident", summary: "Report an incident (signed in) 上报事件", body: mediaJSON, responses: map[int]string{201: mediaJSON, 400: "", 401: ""}, handler: s.reportIncident},
		{method: "GET", path: "/command/incidents/:id", id: "getIncident", summary: "One incident with its timeline 事件详情", responses: map[int]string{200: mediaJSON, 401: "", 404: ""}, handler: s.incident},
		{method: "POST", path: "/command/incidents/:id/attachments", id: "postAttachment", summary: "Attach a file (the body, named by ?name=, or a multipart field \"file\") 上传附件", params: []string{"attachment-name"}, body: "application/octet-stream", responses: map[int]string{201: mediaJSON, 400: "", 401: "", 404: "", 413: ""}, handler: s.attach},
		{method: "GET", path: "/command/incidents/:id/attachments", id: "getAttachments", summary: "An incident's attachments 附件列表", responses: map[int]string{200: mediaJSON, 401: "", 404: ""}, handler: s.attachments},
		{method: "GET", path: "/command/incidents/:id/attachments/:aid", id: "getAttachment", summary: "One attachment's bytes 下载附件", responses: map[int]string{200: "application/octet-stream", 401: "", 404: ""}, handler: s.attachment},
		{method: "POST", path: "/command/incidents/:id/transitions", id: "postTransition", summary: "Act on an incident: accept, reject, merge, dispatch, handle, resolve, supervise, evaluate (by role) 受理、分拨、处置、督办、评估", body: mediaJSON, responses: map[int]string{200: mediaJSON, 400: "", 401: "", 403: "", 404: "", 409: ""}, handler: s.transition},
	})
}

// signedIn refuses an anonymous caller: incidents are the operation centre's, not public.
func signedIn(c *fiber.Ctx, what string) error {
	if p := principal(c); p.Subject == spatial.Anonymous.Subject {
		return denied(p, what+" needs a signed-in caller")
	}
	return nil
}

func (s *Server) incidents(c *fiber.Ctx) error {
	if err := signedIn(c, "reading incidents"); err != nil {
		return err
	}
	f := command.Filter{Types: splitList(c.Query("type")), States: splitList(c.Query("state")), Overdue: c.QueryBool("overdue")}
	var err error
	if f.BBox, f.From, f.To, err = placeAndPeriod(c); err != nil {
		return err
	}
	list, err := s.deps.Command.Incidents(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"incidents": list})
}

func (s *Server) reportIncident(c *fiber.Ctx) error {
	if err := signedIn(c, "reporting an incident"); err != nil {
		return err
	}
	var r command.Report
	if err := json.Unmarshal(c.Body(), &r); err != nil {
		return spatial.Invalid("body", "not an incident report: %v", err)
	}
	in, err := s.deps.Command.Report(c.UserContext(), r, principal(c).Subject)
	if err != nil {
		return err
	}
	c.Location("/command/incidents/" + strconv.FormatInt(in.ID, 10))
	return c.Status(fiber.StatusCreated).JSON(in)
}

func incidentID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, spatial.NotFound("incident %q", c.Params("id"))
	}
	return id, nil
}

func (s *Server) incident(c *fiber.Ctx) error {
	if err := signedIn(c, "reading incidents"); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	in, timeline, err := s.deps.Command.Incident(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"incident": in, "timeline": timeline})
}

func (s *Server) transition(c *fiber.Ctx) error {
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	var t command.Transition
	if err := json.Unmarshal(c.Body(), &t); err != nil {
		return spatial.Invalid("body", `not a transition {"to":…,"note":…} or {"action":…,"note":…}: %v`, err)
	}
	if err := t.Normalize(); err != nil {
		return err
	}
	p := principal(c)
	if role, ok := command.NeedsRole(t.Action); ok && !p.Has(role) && !p.Has(spatial.RoleAdmin) {
		return denied(p, t.Action+" needs the role "+role)
	}
	in, err := s.deps.Command.Transition(c.UserContext(), id, t, p)
	if err != nil {
		return err
	}
	return c.JSON(in)
}

func (s *Server) attach(c *fiber.Ctx) error {
	if err := signedIn(c, "attaching a file"); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	name, mediaType, data := c.Query("name"), c.Get(fiber.HeaderContentType), c.Body()
	if strings.HasPrefix(mediaType, fiber.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return spatial.Invalid("file", "a multipart upload carries the file in the field \"file\": %v", err)
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		if data, err = io.ReadAll(f); err != nil {
			return err
		}
		name, mediaType = cmp.Or(name, fh.Filename), fh.Header.Get(fiber.HeaderContentType)
	}
	a, err := s.deps.Command.Attach(c.UserContext(), id, name, mediaType, data, principal(c).Subject)
	if err != nil {
		return err
	}
	c.Location(fmt.Sprintf("/command/incidents/%d/attachments/%d", id, a.ID))
	return c.Status(fiber.StatusCreated).JSON(a)
}

func (s *Server) attachments(c *fiber.Ctx) error {
	if err := signedIn(c, "reading attachments"); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	list, err := s.deps.Command.Attachments(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"attachments": list})
}

// attachment sends an attachment's bytes. Only images, PDF and plain text are shown inline; the
// rest (HTML among them) is a download, never sniffed into something the browser runs.
func (s *Server) attachment(c *fiber.Ctx) error {
	if err := signedIn(c, "reading attachments"); err != nil {
		return err
	}
	id, err := incidentID(c)
	if err != nil {
		return err
	}
	aid, err := strconv.ParseInt(c.Params("aid"), 10, 64)
	if err != nil {
		return spatial.NotFound("attachment %q", c.Params("aid"))
	}
	a, data, err := s.deps.Command.AttachmentData(c.UserContext(), id, aid)
	if err != nil {
		return err
	}
	disposition := "attachment"
	if mt, _, _ := strings.Cut(a.MediaType, ";"); strings.HasPrefix(mt, "image/") && mt != "image/svg+xml" || mt == "application/pdf" || mt == "text/plain" {
		disposition = "inline"
	}
	c.Set(fiber.HeaderContentType, a.MediaType)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; sandbox")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType(disposition, map[string]string{"filename": a.Name}))
	c.Set(fiber.HeaderETag, `"`+a.SHA256+`"`)
	c.Set(fiber.HeaderCacheControl, "private, max-age=3600")
	return c.Send(data)
}
