"""The osrest room: enaio appconnector (``/osrest/api``) client."""
