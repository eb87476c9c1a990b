"""Read asobjdef XML (``dms.GetObjDef``) into :class:`ObjectDefinition`."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from lxml import etree

from connector.enaio.model import type_id as compute_type_id
from connector.enaio.objdef.errors import ObjdefFormatError, ObjdefLookupError
from connector.enaio.objdef.model import (
    DEFAULT_LANGUAGE,
    Cabinet,
    Catalogue,
    CatalogueRow,
    FieldDef,
    Language,
    ObjectDefinition,
    ObjectType,
    TableColumn,
    _frozen_map,
)
from connector.xmlsafe import parse_bytes

_SITES = Path(__file__).parent / "sites"


def default_site_path() -> Path:
    """The reference site shipped with the package (Landkreis Tübingen, Integrationsmanagement)."""
    return _SITES / "lk_tuebingen.xml"


@lru_cache(maxsize=1)
def default_objdef() -> ObjectDefinition:
    """The default site's definition, parsed once per process (the model is immutable)."""
    return load_objdef(default_site_path())


def load_objdef(source: str | Path | bytes) -> ObjectDefinition:
    """Parse asobjdef XML from a path or from the raw bytes."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    root = parse_bytes(data, operation="dms.GetObjDef")
    if root.tag != "asobjdef":
        raise ObjdefFormatError(
            f"root element is <{_tag(root)}>, expected <asobjdef>", operation="dms.GetObjDef"
        )
    try:
        return _Reader(root, data).read()
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        if isinstance(exc, ObjdefFormatError | ObjdefLookupError):
            raise
        # a definition that parses as XML but does not hang together (a broken export)
        raise ObjdefFormatError(
            f"the object definition is inconsistent: {type(exc).__name__}", operation="dms.GetObjDef"
        ) from exc


def _tag(el: etree._Element) -> str:
    return el.tag if isinstance(el.tag, str) else repr(el.tag)


def _attr(el: etree._Element, name: str, default: str | None = None) -> str:
    value = el.get(name)
    if value is None:
        if default is not None:
            return default
        raise ObjdefFormatError(
            f"<{_tag(el)}> (line {el.sourceline}) lacks attribute {name!r}", operation="dms.GetObjDef"
        )
    return value


def _int(el: etree._Element, name: str, default: int | None = None) -> int:
    raw = _attr(el, name, None if default is None else str(default))
    try:
        return int(raw)
    except ValueError:
        raise ObjdefFormatError(
            f"<{_tag(el)}@{name}> (line {el.sourceline}) is not an integer: {raw!r}",
            operation="dms.GetObjDef",
        ) from None


def _flag(el: etree._Element | None, name: str) -> bool:
    return el is not None and el.get(name, "0") == "1"


def _names(el: etree._Element, default_name: str, lang_ids: Mapping[str, str]) -> Mapping[str, str]:
    """Display names per locale; numeric ``lang_id``s are resolved through ``<languages>`` (E1)."""
    names: dict[str, str] = {}
    for n in el.iterfind("names/name"):
        lang = n.get("lang_id", "")
        names[lang_ids.get(lang, lang)] = n.text or ""
    names.setdefault(DEFAULT_LANGUAGE, default_name)
    return _frozen_map(names)


class _Reader:
    def __init__(self, root: etree._Element, data: bytes) -> None:
        self.root = root
        self.data = data
        self.lang_ids: dict[str, str] = {}
        self.catalogues: dict[str, Catalogue] = {}
        self.catalogue_by_guid: dict[str, Catalogue] = {}

    def read(self) -> ObjectDefinition:
        languages = []
        for lang in self.root.iterfind("languages/language"):
            lang_id = _attr(lang, "lang_id")
            name = lang.get("name", lang_id)
            # name holds the locale when lang_id is numeric (vendor) or repeats it (our E1)
            self.lang_ids[lang_id] = name if "_" in name else lang_id
            languages.append(Language(lang_id=lang_id, name=name, active=lang.get("active", "1") == "1"))
        for cat_el in self.root.iterfind("catalogues/catalogue"):
            self._add_catalogue(self._catalogue(cat_el))

        cabinets: dict[str, Cabinet] = {}
        by_name: dict[str, ObjectType] = {}
        by_id: dict[int, ObjectType] = {}
        for cab_el in self.root.iterfind("cabinet"):
            cab_internal = _attr(cab_el, "internal")
            names: list[str] = []
            for obj_el in cab_el.iterfind("object"):
                otype = self._object(obj_el, cab_internal)
                if otype.internal in by_name or otype.type_id in by_id:
                    raise ObjdefFormatError(
                        f"duplicate object type {otype.internal} / {otype.type_id}", operation="dms.GetObjDef"
                    )
                by_name[otype.internal] = otype
                by_id[otype.type_id] = otype
                names.append(otype.internal)
            cab_name = _attr(cab_el, "name", cab_internal)
            cabinets[cab_internal] = Cabinet(
                internal=cab_internal,
                name=cab_name,
                names=_names(cab_el, cab_name, self.lang_ids),
                cotype=_int(cab_el, "cotype", 0),
                type_names=tuple(names),
            )
        for otype in by_name.values():
            for pid in otype.parent_type_ids:
                if pid not in by_id:
                    raise ObjdefFormatError(
                        f"{otype.internal}: relation parent {pid} is not an object type",
                        operation="dms.GetObjDef",
                    )
        return ObjectDefinition(
            version=self.root.get("version", ""),
            created=self.root.get("created", ""),
            languages=tuple(languages),
            cabinets=_frozen_map(cabinets),
            types_by_name=_frozen_map(by_name),
            types_by_id=_frozen_map(by_id),
            catalogues=_frozen_map(self.catalogues),
            source_bytes=self.data,
            etag=hashlib.sha256(self.data).hexdigest(),
        )

    def _add_catalogue(self, cat: Catalogue) -> None:
        self.catalogues.setdefault(cat.internal, cat)
        if cat.os_guid:
            self.catalogue_by_guid.setdefault(cat.os_guid, cat)

    def _rows(self, el: etree._Element) -> Mapping[str, CatalogueRow]:
        rows: dict[str, CatalogueRow] = {}
        for i, row in enumerate(el.iterfind("row")):
            key = row.get("value")
            if key is None:  # vendor rows without a key: the text is the stored value
                key = row.text or ""
            labels = {DEFAULT_LANGUAGE: row.text or key}
            for attr, value in row.attrib.items():
                if attr.startswith("label_"):
                    labels[attr.removeprefix("label_")] = value
            rows[key] = CatalogueRow(key=key, index=_int(row, "index", i), labels=_frozen_map(labels))
        return _frozen_map(rows)

    def _catalogue(self, el: etree._Element) -> Catalogue:
        internal = _attr(el, "internal")
        name = _attr(el, "name", internal)
        return Catalogue(
            internal=internal,
            name=name,
            names=_names(el, name, self.lang_ids),
            os_guid=el.get("os_guid", ""),
            rows=self._rows(el),
        )

    def _object(self, el: etree._Element, cabinet: str) -> ObjectType:
        internal = _attr(el, "internal")
        maintype = _int(el, "maintype")
        cotype = _int(el, "cotype")
        expected = compute_type_id(maintype, cotype)
        ids = el.find("ids")
        oid = _int(ids, "oid", expected) if ids is not None else expected
        if oid != expected:
            raise ObjdefFormatError(
                f"{internal}: ids@oid {oid} != (maintype << 16) | cotype = {expected}",
                operation="dms.GetObjDef",
            )
        fields = tuple(self._field(f, internal) for f in el.iterfind("fields/field"))
        seen: set[str] = set()
        for f in fields:
            if f.internal in seen:
                raise ObjdefFormatError(
                    f"{internal}: duplicate field {f.internal}", operation="dms.GetObjDef"
                )
            seen.add(f.internal)
        name = _attr(el, "name", internal)
        return ObjectType(
            cabinet=cabinet,
            internal=internal,
            name=name,
            names=_names(el, name, self.lang_ids),
            maintype=maintype,
            cotype=cotype,
            type_id=oid,
            table_name=_attr(el, "tablename"),
            os_guid=el.get("os_guid", ""),
            fields=fields,
            parent_type_ids=tuple(_int(p, "oid") for p in el.iterfind("relations/parent")),
        )

    def _field(self, el: etree._Element, type_name: str) -> FieldDef:
        internal = _attr(el, "internal")
        flags = el.find("flags")
        if flags is None:
            raise ObjdefFormatError(f"{type_name}.{internal}: no <flags>", operation="dms.GetObjDef")
        lst = el.find("list")
        catalogue_name: str | None = None
        allowed: frozenset[str] | None = None
        if lst is not None:
            inline = self._rows(lst)
            master = self._resolve_catalogue(lst.get("catalogue"), lst.get("values_id"))
            if master is None and inline:
                # vendor shape without our <catalogues> extension: the inline rows are the catalogue
                master = Catalogue(
                    internal=lst.get("catalogue") or internal,
                    name=lst.get("catalogue") or internal,
                    names=_frozen_map({}),
                    os_guid=lst.get("values_id", ""),
                    rows=inline,
                )
                self._add_catalogue(master)
            if master is not None:
                catalogue_name = master.internal
                allowed = frozenset(inline) if inline else master.keys
        valuesep = flags.get("valuesep") or None
        name = _attr(el, "name", internal)
        columns = tuple(
            sorted((self._column(c, internal) for c in el.iterfind("listctrl")), key=lambda c: c.colpos)
        )
        return FieldDef(
            type_name=type_name,
            internal=internal,
            name=name,
            names=_names(el, name, self.lang_ids),
            fieldname=_attr(el, "fieldname"),
            os_guid=el.get("os_guid", ""),
            taborder=_int(el, "taborder", 0),
            dt=_attr(flags, "dt"),
            control_type=flags.get("control_type", "edit"),
            datatype=flags.get("datatype", ""),
            required=_flag(flags, "required"),
            readonly=_flag(flags, "readonly"),
            input_length=_int(flags, "input_length", 0),
            catalogue=catalogue_name,
            allowed_keys=allowed,
            multiselection=_flag(lst, "multiselection"),
            valuesep=valuesep,
            key_field=_flag(flags, "keyfield"),
            columns=columns,
        )

    def _resolve_catalogue(self, name: str | None, guid: str | None) -> Catalogue | None:
        if name and name in self.catalogues:
            return self.catalogues[name]
        if guid and guid in self.catalogue_by_guid:
            return self.catalogue_by_guid[guid]
        return None

    def _column(self, el: etree._Element, table_field: str) -> TableColumn:
        internal = _attr(el, "internal")
        catalogue: Catalogue | None = None
        if el.get("catalogtype", "0") != "0" or el.get("catalogue"):
            catalogue = self._resolve_catalogue(el.get("catalogue"), el.get("values_id"))
            if catalogue is None:
                ref = el.get("catalogue") or el.get("values_id")
                raise ObjdefFormatError(
                    f"{table_field}.{internal}: catalogue {ref!r} not defined",
                    operation="dms.GetObjDef",
                )
        name = _attr(el, "name", internal)
        return TableColumn(
            table_field=table_field,
            internal=internal,
            name=name,
            names=_names(el, name, self.lang_ids),
            fieldname=_attr(el, "fieldname"),
            type=el.get("type", "X"),
            colpos=_int(el, "colpos", 0),
            length=_int(el, "length", 0),
            required=_flag(el, "required"),
            readonly=_flag(el, "readonly"),
            catalogue=catalogue.internal if catalogue else None,
            allowed_keys=catalogue.keys if catalogue else None,
            os_guid=el.get("os_guid", ""),
        )
