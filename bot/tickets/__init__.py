"""A ticket's life: its states, the officers' steps, the result and the reporter's answer."""
