{
  'targets': [
    {
      'target_name': 'coracle_sockets',
      'sources': ['native/sockets.c'],
      'cflags': ['-Wall', '-Wextra', '-O2'],
    },
    {
      'target_name': 'listen-exec',
      'type': 'executable',
      'sources': ['native/listen-exec.c'],
      'cflags': ['-Wall', '-Wextra', '-O2'],
    },
  ],
}
