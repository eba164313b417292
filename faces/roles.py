"""The "Moderators" group: staff who review faces across events, and nothing more.

Made (and kept up to date) after every ``migrate``. A moderator is a staff user in this
group: in the admin they see events, albums and photos read-only, and they see, hide
and restore faces of every event (face crops and photo previews, never originals), and
see every event's people and who hid whom.
Editing or deleting other organisers' events, downloading their originals, issuing new
attendee links and searching the whole site need the "Can see and manage every
organiser's events" permission (photos.manage_all_events) or a superuser.
"""

from django.contrib.auth.models import Group, Permission

MODERATORS = "Moderators"
MODERATOR_PERMISSIONS = [
    ("faces", "view_face"),
    ("faces", "change_face"),
    ("faces", "view_person"),
    ("photos", "view_event"),
    ("photos", "view_album"),
    ("photos", "view_photo"),
]


def ensure_moderators_group(**kwargs) -> Group:
    group, _ = Group.objects.get_or_create(name=MODERATORS)
    wanted = [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in MODERATOR_PERMISSIONS
    ]
    group.permissions.add(*wanted)
    return group
