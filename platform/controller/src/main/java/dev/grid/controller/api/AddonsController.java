package dev.grid.controller.api;

import dev.grid.controller.domain.Addon;
import dev.grid.controller.domain.Addons;
import dev.grid.core.GridException;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.annotation.Body;
import io.micronaut.http.annotation.Controller;
import io.micronaut.http.annotation.Delete;
import io.micronaut.http.annotation.Get;
import io.micronaut.http.annotation.Post;
import io.micronaut.http.annotation.QueryValue;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Add-ons and their attachments. Responses never carry credentials except in an app's config. */
@Controller
public class AddonsController {
    private static final Logger log = LoggerFactory.getLogger(AddonsController.class);
    private final Addons addons;
    private final dev.grid.controller.domain.BackupSchedules schedules;

    public AddonsController(Addons addons, dev.grid.controller.domain.BackupSchedules schedules) {
        this.schedules = schedules;
        this.addons = addons;
    }

    /**
     * An add-on as listed: no env values. {@code attachments} has each app it is attached to,
     * the attachment's name ({@code as}, null for none), the vars it set there and the add-on's URL var.
     */
    public record AddonView(String name, String provider, String plan, String state, List<String> attachedTo, List<String> configVars,
                            List<AttachmentView> attachments) {
        static AddonView of(Addon a) {
            List<AttachmentView> attachments = a.attachments().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> new AttachmentView(e.getKey(), a.alias(e.getKey()), e.getValue().keySet().stream().sorted().toList(),
                            dev.grid.controller.domain.AttachmentVars.urlVar(a.env()))).toList();
            return new AddonView(a.name(), a.provider(), a.plan(), a.provisioned() ? "ready" : "provisioning",
                    a.attachments().keySet().stream().sorted().toList(), a.env().keySet().stream().sorted().toList(), attachments);
        }
    }

    /** {@code urlVar}: the add-on's own URL var, which the attachment sets as {@code AS_URL} when it has a name. */
    public record AttachmentView(String app, String as, List<String> configVars, String urlVar) {}

    @Get("/providers")
    public Map<String, List<String>> providers() {
        return addons.providers();
    }

    @Get("/addons")
    public List<AddonView> list() {
        return addons.list().stream().map(AddonView::of).toList();
    }

    @Post("/addons")
    public HttpResponse<AddonView> create(@Body Requests.CreateAddon body) {
        if (body.provider() == null || body.provider().isBlank()) throw GridException.invalid("name the provider, e.g. postgres: see 'grid addons:services'");
        Addon addon = addons.create(body.provider(), body.plan(), body.name(), body.app(), body.as(), body.options(), line -> log.info("{}", line));
        return HttpResponse.created(AddonView.of(addon));
    }

    @Get("/addons/{name}")
    public Map<String, Object> info(String name) {
        return addons.info(name);
    }

    @Post("/addons/{name}/attachments")
    public AddonView attach(String name, @Body Requests.Attach body) {
        if (body.app() == null || body.app().isBlank()) throw GridException.invalid("name the app to attach to");
        return AddonView.of(addons.attach(name, body.app(), body.as()));
    }

    @Delete("/addons/{name}/attachments/{app}")
    public AddonView detach(String name, String app) {
        return AddonView.of(addons.detach(name, app));
    }

    @Delete("/addons/{name}")
    public Map<String, String> destroy(String name, @Nullable @QueryValue String confirm) {
        addons.destroy(name, confirm);
        return Map.of("destroyed", name);
    }

    @Post("/addons/{name}/expose")
    public Map<String, Object> expose(String name) {
        return addons.expose(name, true);
    }

    @Delete("/addons/{name}/expose")
    public Map<String, Object> unexpose(String name) {
        return addons.expose(name, false);
    }

    @io.micronaut.http.annotation.Patch("/addons/{name}/settings")
    public Map<String, Object> configure(String name, @Body Map<String, String> changes) {
        return addons.configure(name, changes);
    }

    @Get("/addons/{name}/backups")
    public List<Addons.Backup> backups(String name) {
        addons.get(name);
        return addons.backups(name);
    }

    @Post("/addons/{name}/backups")
    public HttpResponse<Addons.Backup> capture(String name) {
        return HttpResponse.created(addons.capture(name));
    }

    @Post("/addons/{name}/restore")
    public Addons.Backup restore(String name, @Body Requests.Restore body) {
        return addons.restore(name, body.backup());
    }

    /** pg:backups:download: the backup's file, as pg_dump wrote it (custom format). */
    @Get(value = "/addons/{name}/backups/{id}/download", produces = io.micronaut.http.MediaType.APPLICATION_OCTET_STREAM)
    public io.micronaut.http.server.types.files.SystemFile download(String name, String id) {
        java.nio.file.Path file = addons.backupFile(name, id);
        return new io.micronaut.http.server.types.files.SystemFile(file.toFile()).attach(name + "-" + id + ".dump");
    }

    /** pg:backups:restore --file: a pg_dump file from outside, checked and then restored all or nothing. */
    @Post(value = "/addons/{name}/restore/file", consumes = io.micronaut.http.MediaType.APPLICATION_OCTET_STREAM)
    public Map<String, Object> restoreFile(String name, @Body java.io.InputStream body) {
        return addons.restoreFile(name, body);
    }

    @Post("/addons/{name}/backup-schedule")
    public Map<String, Object> schedule(String name, @Body Requests.BackupSchedule body) {
        return schedules.schedule(name, body.at(), body.keep());
    }

    @Delete("/addons/{name}/backup-schedule")
    public HttpResponse<?> unschedule(String name) {
        schedules.unschedule(name);
        return HttpResponse.noContent();
    }

    @Get("/backup-schedules")
    public List<Map<String, Object>> schedules() {
        return schedules.list();
    }

    /** pg:ps: the add-on's sessions, and what each runs. */
    @Get("/addons/{name}/sessions")
    public List<Map<String, Object>> sessions(String name) {
        return addons.sessions(name, false);
    }

    /** pg:locks: the add-on's sessions that hold exclusive locks. */
    @Get("/addons/{name}/locks")
    public List<Map<String, Object>> locks(String name) {
        return addons.sessions(name, true);
    }

    /** pg:kill: cancels the session's query, or with force ends the session. */
    @Post("/addons/{name}/sessions/{pid}/kill")
    public Map<String, Object> kill(String name, long pid, @Body Requests.Kill body) {
        boolean force = body != null && Boolean.TRUE.equals(body.force());
        addons.kill(name, pid, force);
        return Map.of("pid", pid, "ended", force, "cancelled", !force);
    }

    /** pg:credentials:rotate: new credentials, the attached apps restarted with them, then the old ones retired. */
    @Post("/addons/{name}/credentials/rotate")
    public Map<String, Object> rotate(String name, @Body Requests.Confirm body) {
        return addons.rotate(name, body == null ? null : body.confirm());
    }
}
