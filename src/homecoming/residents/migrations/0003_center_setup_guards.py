"""Rooms, beds, programs and the center are never deleted (their history stays readable), and an
out-of-service bed, or a bed in an out-of-service room, takes nobody: the database refuses it
too, whatever a stray SQL console or a buggy service tries."""

from django.db import migrations

from homecoming.core.dbguards import guard, refuse

NO_BED = "the bed or its room is out of service"
OUT_OF_SERVICE = {
    "sqlite": [
        "CREATE TRIGGER residents_bedassignment_refuse_insert_out_of_service "
        "BEFORE INSERT ON residents_bedassignment WHEN EXISTS ("
        "SELECT 1 FROM residents_bed b JOIN residents_room r ON r.id = b.room_id "
        "WHERE b.id = NEW.bed_id AND (NOT b.in_service OR NOT r.in_service)) "
        f"BEGIN SELECT RAISE(ABORT, 'residents_bedassignment: INSERT refused ({NO_BED})'); END;"
    ],
    "postgresql": [
        # PostgreSQL allows no subquery in a trigger's WHEN: the function asks instead.
        "CREATE OR REPLACE FUNCTION homecoming_refuse_out_of_service_bed() RETURNS trigger AS $$ "
        "BEGIN IF EXISTS (SELECT 1 FROM residents_bed b JOIN residents_room r ON r.id = b.room_id "
        "WHERE b.id = NEW.bed_id AND (NOT b.in_service OR NOT r.in_service)) THEN "
        f"RAISE EXCEPTION 'residents_bedassignment: INSERT refused ({NO_BED})'; END IF; "
        "RETURN NEW; END; $$ LANGUAGE plpgsql;",
        "CREATE TRIGGER residents_bedassignment_refuse_insert_out_of_service "
        "BEFORE INSERT ON residents_bedassignment FOR EACH ROW "
        "EXECUTE FUNCTION homecoming_refuse_out_of_service_bed();",
    ],
}


class Migration(migrations.Migration):
    dependencies = [("residents", "0002_center_setup")]
    operations = [
        guard(
            refuse("residents_center", "DELETE", "the center is never deleted"),
            refuse("residents_program", "DELETE", "programs are retired, never deleted"),
            refuse("residents_room", "DELETE", "rooms go out of service, never away"),
            refuse("residents_bed", "DELETE", "beds go out of service, never away"),
            OUT_OF_SERVICE,
        )
    ]
